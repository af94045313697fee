#!/usr/bin/env bash
# Install everything the tests need, then lint, type-check and test.
#
#   bash scripts/test.sh [pytest args...]
#
# Safe to run again: the virtual environment in .venv is reused. Under CI=true
# (or as root with apt-get) the desktop tools the end-to-end tests start for
# themselves (Xvfb, xdotool, dunst, D-Bus) are installed too; elsewhere tests
# that need a missing tool skip, but under CI=true a missing tool fails.
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian packages the desktop tests use; installed only where we may (root).
APT_PACKAGES=(
    python3 python3-venv
    xvfb xdotool dunst libnotify-bin x11-utils dbus systemd
    libglib2.0-bin gsettings-desktop-schemas chromium fonts-dejavu-core
    sway swayidle wtype
    # The real desktops of tests/test_real_desktops.py (about 5 minutes to
    # install on a fresh machine; gjs is not pulled in by --no-install-recommends
    # and without it GNOME Shell has no notification server).
    gnome-shell mutter gjs python3-dbusmock mako-notifier kwin-wayland xfce4-notifyd
    syncthing
)

if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
    missing=()
    for p in "${APT_PACKAGES[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
    done
    if [ "${#missing[@]}" -gt 0 ]; then
        echo "== installing ${missing[*]}"
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
        apt-get clean  # keep no copy of the downloaded packages outside the clone
    fi
elif [ "${CI:-}" = "true" ]; then
    echo "CI=true but cannot install ${APT_PACKAGES[*]} (need root and apt-get)" >&2
    exit 1
fi

PYTHON="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
    echo "== creating .venv"
    "$PYTHON" -m venv .venv
fi
echo "== installing sitbreak and its test tools into .venv"
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e '.[test]'

echo "== ruff"
.venv/bin/ruff check src tests benchmarks scripts
.venv/bin/ruff format --check src tests benchmarks scripts
echo "== mypy (strict on sitbreak.core)"
.venv/bin/mypy
echo "== pytest"
.venv/bin/python -m pytest "$@"
