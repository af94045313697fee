#!/usr/bin/env bash
# Install sitbreak for this user and start it with the desktop.
#
#   bash scripts/install.sh                      install, then start it with your desktop
#   bash scripts/install.sh --no-start           install only
#   bash scripts/install.sh --uninstall          remove the service, the autostart entry,
#                                                the link and the venv; keep your data
#   bash scripts/install.sh --uninstall --purge  the same, and delete your data and config
#
# sitbreak goes into its own virtual environment (default
# ~/.local/share/sitbreak/venv, or $SITBREAK_VENV), with `sitbreak` linked
# into ~/.local/bin. Every dependency installs from wheels: no compiler needed.
# With a systemd user session it becomes a user service that starts with your
# desktop; without one, an XDG autostart entry (~/.config/autostart) does that.
# $PYTHON picks the interpreter (default python3; 3.10 or newer).
set -euo pipefail
SOURCE="$(cd "$(dirname "$0")/.." && pwd)"

mode=install start=yes purge=no
for arg in "$@"; do
    case "$arg" in
        --no-start) start=no ;;
        --uninstall) mode=uninstall ;;
        --purge) purge=yes ;;
        -h | --help) sed -n '2,16s/^# \{0,1\}//p' "$0"; exit 0 ;;
        *) echo "install.sh: unknown option '$arg' (try --help)" >&2; exit 2 ;;
    esac
done
if [ "$purge" = yes ] && [ "$mode" != uninstall ]; then
    echo "install.sh: --purge goes with --uninstall" >&2
    exit 2
fi

PYTHON="${PYTHON:-python3}"
VENV="${SITBREAK_VENV:-$HOME/.local/share/sitbreak/venv}"
BIN="$HOME/.local/bin"
LINK="$BIN/sitbreak"

say() { printf '== %s\n' "$*"; }
more() { printf '   %s\n' "$*"; }
# `sitbreak ARGS`, its report indented under the step it belongs to.
sitbreak_says() { "$VENV/bin/sitbreak" "$@" | sed 's/^/   /'; }
# "~/..." for paths in the home directory: shorter to read, the same to type.
tilde() { case "$1" in "$HOME"/*) printf '~/%s' "${1#"$HOME"/}" ;; *) printf '%s' "$1" ;; esac; }

on_path() {
    local dir
    local IFS=:
    for dir in $PATH; do
        [ "${dir%/}" = "$1" ] && return 0
    done
    return 1
}

# A systemd user manager that answers: then sitbreak runs as a user service.
# The same systemctl is handed to `sitbreak service` so both decide alike.
systemd_user_session() {
    command -v systemctl >/dev/null 2>&1 && systemctl --user show-environment >/dev/null 2>&1
}

# Where sitbreak keeps its data and config (it honours SITBREAK_HOME and XDG_*).
sitbreak_dirs() {
    "$VENV/bin/python" -c 'from sitbreak import paths; print(paths.data_dir()); print(paths.config_dir())'
}

# The pid of a running `sitbreak run`, from its lock file; nothing if none runs.
running_pid() {
    "$VENV/bin/python" - <<'EOF' 2>/dev/null || true
import fcntl
from sitbreak import paths

try:
    with open(paths.runtime_dir() / "sitbreak.lock") as f:
        try:
            fcntl.flock(f, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            print(f.read().strip())
except OSError:
    pass
EOF
}

stop_running() {
    local pid
    pid="$(running_pid)"
    [ -n "$pid" ] || return 0
    kill "$pid" 2>/dev/null || return 0
    for _ in $(seq 50); do
        kill -0 "$pid" 2>/dev/null || { say "stopped the running sitbreak (pid $pid)"; return 0; }
        sleep 0.2
    done
    say "sitbreak (pid $pid) did not stop within 10 s: kill $pid"
}

has_files() { [ -n "$(ls -A "$1" 2>/dev/null)" ]; }

# ------------------------------------------------------------------ uninstall

if [ "$mode" = uninstall ]; then
    if systemd_user_session; then
        SITBREAK_SYSTEMCTL="$(command -v systemctl)"
        export SITBREAK_SYSTEMCTL
    fi
    if [ -x "$VENV/bin/sitbreak" ]; then
        # The service and the autostart entry; then a monitor started by hand.
        say "removing what starts sitbreak with your desktop"
        sitbreak_says service uninstall || say "the service could not be removed (above); carrying on"
        stop_running
        dirs="$(sitbreak_dirs)"
        data_dir="$(sed -n 1p <<<"$dirs")" config_dir="$(sed -n 2p <<<"$dirs")"
    else
        # The venv is gone already (removed by hand): remove what it left.
        say "no sitbreak installation in $(tilde "$VENV"); removing what it left"
        xdg_config="${XDG_CONFIG_HOME:-$HOME/.config}"
        unit="$xdg_config/systemd/user/sitbreak.service"
        if [ -e "$unit" ] && [ -n "${SITBREAK_SYSTEMCTL:-}" ]; then
            systemctl --user disable --now sitbreak.service || true
            rm -f "$unit" && systemctl --user daemon-reload || true
            more "stopped, disabled and removed $(tilde "$unit")"
        elif [ -e "$unit" ]; then
            rm -f "$unit" && more "removed $(tilde "$unit")"
        fi
        if [ -e "$xdg_config/autostart/sitbreak.desktop" ]; then
            rm -f "$xdg_config/autostart/sitbreak.desktop"
            more "removed $(tilde "$xdg_config/autostart/sitbreak.desktop")"
        fi
        data_dir="${XDG_DATA_HOME:-$HOME/.local/share}/sitbreak"
        config_dir="$xdg_config/sitbreak"
    fi
    if [ -L "$LINK" ] && [ "$(readlink "$LINK")" = "$VENV/bin/sitbreak" ]; then
        rm -f "$LINK"
        say "removed the link $(tilde "$LINK")"
    elif [ -e "$LINK" ] || [ -L "$LINK" ]; then
        say "left $(tilde "$LINK") alone: it is another installation's ($(readlink "$LINK" || echo 'a file'))"
    fi
    if [ -d "$VENV" ]; then
        rm -rf "$VENV"
        say "removed $(tilde "$VENV")"
    fi
    # The default venv lives in the data directory: gone, it may leave it empty.
    [ "$(dirname "$VENV")" != "$data_dir" ] || rmdir "$data_dir" 2>/dev/null || true
    if [ "$purge" = yes ]; then
        for dir in "$data_dir" "$config_dir"; do
            if [ -e "$dir" ]; then
                rm -rf "$dir"
                say "deleted $(tilde "$dir")"
            fi
        done
        say "sitbreak is uninstalled, and your data and config are deleted."
    elif has_files "$data_dir" || has_files "$config_dir"; then
        say "sitbreak is uninstalled. Your data and settings are kept:"
        ! has_files "$data_dir" || more "data (database, daily summaries): $(tilde "$data_dir")"
        ! has_files "$config_dir" || more "config:                           $(tilde "$config_dir")"
        more "To delete them too: bash scripts/install.sh --uninstall --purge"
    else
        say "sitbreak is uninstalled; it had no data or config to keep."
    fi
    exit 0
fi

# ------------------------------------------------------------------ install

if ! command -v "$PYTHON" >/dev/null 2>&1; then
    echo "sitbreak needs Python 3.10 or newer, and there is no '$PYTHON' here." >&2
    echo "On Debian/Ubuntu: sudo apt install python3 python3-venv" >&2
    exit 1
fi
if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 10))' 2>/dev/null; then
    echo "sitbreak needs Python 3.10 or newer; $PYTHON is $("$PYTHON" -V 2>&1)." >&2
    echo "Install a newer Python and name it: PYTHON=python3.12 bash scripts/install.sh" >&2
    exit 1
fi
if ! "$PYTHON" -c 'import venv, ensurepip' 2>/dev/null; then
    pyver="$("$PYTHON" -c 'import sys; print("%d.%d" % sys.version_info[:2])')"
    echo "Python's venv module is missing: on Debian/Ubuntu run" >&2
    echo "  sudo apt install python3-venv    (or python$pyver-venv for $PYTHON)" >&2
    exit 1
fi

say "installing sitbreak with $("$PYTHON" -V 2>&1) into $(tilde "$VENV")"
"$PYTHON" -m venv "$VENV"
# pip builds in the directory it is given: a copy keeps the checkout clean.
build="$(mktemp -d)"
trap 'rm -rf "$build"' EXIT
cp -R "$SOURCE/pyproject.toml" "$SOURCE/README.md" "$SOURCE/LICENSE" "$SOURCE/src" "$build/"
if ! "$VENV/bin/python" -m pip install -q --disable-pip-version-check --upgrade pip \
    || ! "$VENV/bin/python" -m pip install -q --disable-pip-version-check --only-binary=:all: \
        --upgrade "$build"; then
    echo "sitbreak: pip could not install sitbreak (its message is above)." >&2
    echo "  It installs from wheels only, so no compiler is needed: what stops it is no network," >&2
    echo "  or a package with no wheel for this Python and machine (pip names it above)." >&2
    exit 1
fi
version="$("$VENV/bin/sitbreak" --version)"
mkdir -p "$BIN"
if [ -e "$LINK" ] && ! [ "$LINK" -ef "$VENV/bin/sitbreak" ]; then
    say "replacing $(tilde "$LINK"), which was $(readlink "$LINK" || echo 'a file')"
fi
ln -sfn "$VENV/bin/sitbreak" "$LINK"
say "installed $version as $(tilde "$LINK")"

# What to type: `sitbreak` where the shell finds this one, the full path elsewhere.
sb=sitbreak
path_note=no
if ! on_path "$BIN"; then
    sb="$(tilde "$LINK")" path_note=yes
elif [ "$(command -v sitbreak)" != "$LINK" ]; then
    say "note: another sitbreak comes first on your PATH: $(command -v sitbreak)"
    sb="$(tilde "$LINK")"
fi

# Last words, as pipx has them: how to make `sitbreak` a command in this shell.
advise_path() {
    [ "$path_note" = yes ] || return 0
    say "$(tilde "$BIN") is not on your PATH, so your shell does not find \`sitbreak\` yet."
    if [ -f "$HOME/.profile" ] && grep -q '\.local/bin' "$HOME/.profile"; then
        more "Your ~/.profile adds it when you next log in. Until then, in this terminal:"
        more "  export PATH=\"\$HOME/.local/bin:\$PATH\""
        return 0
    fi
    case "$(basename "${SHELL:-bash}")" in
        zsh) rc='~/.zshrc' line='export PATH="$HOME/.local/bin:$PATH"' ;;
        fish) rc='' line='fish_add_path ~/.local/bin' ;;
        *) rc='~/.bashrc' line='export PATH="$HOME/.local/bin:$PATH"' ;;
    esac
    if [ -n "$rc" ]; then
        more "Add it for new terminals:  echo '$line' >> $rc"
        more "and in this terminal:      $line"
    else
        more "Add it (fish keeps it):    $line"
    fi
}
trap 'status=$?; rm -rf "$build"; [ "$status" != 0 ] || advise_path' EXIT

if [ "$start" = no ]; then
    if systemd_user_session; then
        say "not started (--no-start). To run it with your desktop: $sb service install"
    else
        say "not started (--no-start). To run it with your desktop: $sb service install --autostart"
    fi
    exit 0
fi

# Start `sitbreak run` in the background here and now; say how that went.
start_now() {
    local log pid code=0
    log="$(sed -n 1p <<<"$(sitbreak_dirs)")/sitbreak.log"
    (umask 077 && mkdir -p "$(dirname "$log")" && : >>"$log")
    nohup "$VENV/bin/sitbreak" run </dev/null >>"$log" 2>&1 &
    pid=$!
    for _ in $(seq 60); do
        if ! kill -0 "$pid" 2>/dev/null; then
            wait "$pid" || code=$?
            break
        fi
        if "$VENV/bin/sitbreak" status >/dev/null 2>&1; then
            say "running now (pid $pid). Try: $sb status    (log: $(tilde "$log"))"
            return 0
        fi
        sleep 0.25
    done
    case "$code" in
        0) say "started (pid $pid) but not answering yet: \`$sb status\` in a moment; log: $(tilde "$log")" ;;
        3) say "installed, but it cannot watch keyboard and mouse activity on this display."
           more "\`$sb doctor\` says what it can see and how to fix it; the log: $(tilde "$log")" ;;
        4) say "sitbreak was already running: \`$sb status\`" ;;
        2) say "installed, but your config has a problem: \`$sb config check\` says which" ;;
        *) say "installed, but it stopped at once (exit status $code); the log: $(tilde "$log")" ;;
    esac
}

if systemd_user_session && systemctl --user is-active --quiet graphical-session.target; then
    # A desktop that tells systemd about itself: the user service.
    SITBREAK_SYSTEMCTL="$(command -v systemctl)"
    export SITBREAK_SYSTEMCTL
    was_running=no
    systemctl --user is-active --quiet sitbreak.service && was_running=yes
    say "starting it as a systemd user service"
    if sitbreak_says service install; then
        # An upgrade: the running service still has the old code loaded.
        [ "$was_running" = no ] || systemctl --user try-restart sitbreak.service
        say "running, and it starts with your desktop from now on. Try: $sb status"
        more "(logs: journalctl --user -u sitbreak)"
    elif systemctl --user is-enabled --quiet sitbreak.service; then
        say "installed and enabled, but it did not start now (above)."
        more "\`$sb doctor\` says what it can see; it tries again at your next login."
    else
        say "installed, but the service could not be set up (above): run \`$sb service install\` again"
        exit 1
    fi
elif systemd_user_session && [ -z "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]; then
    # No desktop here right now (ssh, a console): enable it for the next one.
    SITBREAK_SYSTEMCTL="$(command -v systemctl)"
    export SITBREAK_SYSTEMCTL
    say "setting it up as a systemd user service (no desktop here to start it in)"
    sitbreak_says service install --no-start
    say "installed; it will start with your desktop session. Then try: $sb status"
else
    # No systemd user session, or a desktop that does not start
    # graphical-session.target (a window manager started with startx):
    # desktops start the programs in ~/.config/autostart at login.
    if systemd_user_session; then
        say "this desktop does not start systemd's graphical-session.target, so a user"
        more "service would not start with it: an autostart entry does instead."
    fi
    # Its first lines may name other files it wrote too (the D-Bus activation file).
    said="$("$VENV/bin/sitbreak" service install --autostart)"
    wrote="$(printf '%s\n' "$said" | grep 'autostart/sitbreak.desktop' | head -n 1)"
    say "${wrote%% /*} $(tilde "/${wrote#* /}") (desktops start what is listed there at login)"
    if [ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]; then
        stop_running # an upgrade: the old one still has the old code loaded
        start_now
    else
        say "installed; it will start with your desktop session. Then try: $sb status"
    fi
fi
