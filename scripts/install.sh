#!/usr/bin/env bash
# Install sitbreak for this user and start it.
#
#   bash scripts/install.sh            install, then start the user service
#   bash scripts/install.sh --no-start install only
#
# sitbreak goes into its own virtual environment (default
# ~/.local/share/sitbreak/venv, or $SITBREAK_VENV), with `sitbreak` linked
# into ~/.local/bin. With a systemd user session it is installed as a user
# service that starts with your desktop; without one it runs in the
# foreground (Ctrl-C stops it).
set -euo pipefail
cd "$(dirname "$0")/.."

start=yes
[ "${1:-}" = "--no-start" ] && start=no

PYTHON="${PYTHON:-python3}"
if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
    echo "sitbreak needs Python 3.11 or newer ($PYTHON is $("$PYTHON" -V 2>&1))." >&2
    exit 1
fi
if ! "$PYTHON" -c 'import venv, ensurepip' 2>/dev/null; then
    echo "Python's venv module is missing: on Debian/Ubuntu run 'sudo apt install python3-venv'." >&2
    exit 1
fi

VENV="${SITBREAK_VENV:-$HOME/.local/share/sitbreak/venv}"
echo "== installing sitbreak into $VENV"
"$PYTHON" -m venv "$VENV"
"$VENV/bin/python" -m pip install -q --upgrade pip
"$VENV/bin/python" -m pip install -q .
mkdir -p "$HOME/.local/bin"
ln -sf "$VENV/bin/sitbreak" "$HOME/.local/bin/sitbreak"
echo "== sitbreak is $HOME/.local/bin/sitbreak ($("$VENV/bin/sitbreak" --version))"

[ "$start" = yes ] || exit 0
if command -v systemctl >/dev/null 2>&1 && systemctl --user show-environment >/dev/null 2>&1; then
    "$VENV/bin/sitbreak" service install
    echo "== running. Try: sitbreak status    (logs: journalctl --user -u sitbreak)"
else
    echo "== no systemd user session here: running sitbreak in the foreground (Ctrl-C stops it)"
    exec "$VENV/bin/sitbreak" run
fi
