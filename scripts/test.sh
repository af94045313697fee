#!/usr/bin/env bash
# Install everything the tests need, then lint, type-check and test.
#
#   bash scripts/test.sh [pytest args...]
#
# Safe to run again: the virtual environments (.venv, and .venv-py3.10 and
# .venv-py3.13 for the other Pythons the suite runs on) are reused. Under CI=true
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
    # swaylock: the screen lock on sway (tests/test_real_desktops.py, doctor's lock check).
    swaylock
    # The real desktops of tests/test_real_desktops.py (about 5 minutes to
    # install on a fresh machine; gjs is not pulled in by --no-install-recommends
    # and without it GNOME Shell has no notification server).
    gnome-shell mutter gjs python3-dbusmock mako-notifier kwin-wayland xfce4-notifyd
    # The tray's and the status bars' tests (tests/desktop/test_tray.py, test_dbus_api.py,
    # test_real_bars.py).
    xfce4-panel waybar grim i3blocks polybar x11-apps
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
# The suite runs again on the oldest and newest supported Python (README:
# 3.10 to 3.13). SITBREAK_PYTHONS="" skips them locally; under CI=true a
# missing one fails. Each is found as python3.X on PATH or under ~/.pyenv.
SITBREAK_PYTHONS="${SITBREAK_PYTHONS-3.10 3.13}"

find_python() {
    # A pyenv shim on PATH may name a version that is not the selected one:
    # each candidate must run (and have venv) to count.
    local version="$1" candidate
    for candidate in "$(command -v "python$version" 2>/dev/null || true)" \
        $(ls -d "${PYENV_ROOT:-$HOME/.pyenv}/versions/$version".*/bin/"python$version" 2>/dev/null \
            | sort -rV); do
        if [ -n "$candidate" ] && "$candidate" -c 'import venv, ensurepip' 2>/dev/null; then
            printf '%s' "$candidate"
            return 0
        fi
    done
    return 1
}

# A venv with sitbreak (editable) and the test tools. On Linux sitbreak does
# not depend on pynput (it would build evdev); the tests use it, installed the
# way docs/desktops.md tells people to: without its evdev requirement.
make_venv() {
    local python="$1" venv="$2"
    if [ ! -x "$venv/bin/python" ]; then
        echo "== creating $venv ($("$python" -V 2>&1))"
        "$python" -m venv "$venv"
    fi
    echo "== installing sitbreak and its test tools into $venv"
    "$venv/bin/python" -m pip install -q --upgrade pip
    "$venv/bin/python" -m pip install -q -e '.[test]'
    "$venv/bin/python" -m pip install -q --no-deps 'pynput>=1.7' six
}

extra=()
default_version="$("$PYTHON" -c 'import sys; print("%d.%d" % sys.version_info[:2])')"
for version in $SITBREAK_PYTHONS; do
    [ "$version" != "$default_version" ] || continue
    if python="$(find_python "$version")"; then
        extra+=("$version=$python")
    elif [ "${CI:-}" = "true" ]; then
        echo "CI=true but Python $version (with venv) is not here: not on PATH, not under ~/.pyenv" >&2
        exit 1
    else
        echo "== Python $version not found: the suite runs on $default_version only" >&2
    fi
done

make_venv "$PYTHON" .venv
for entry in "${extra[@]}"; do
    make_venv "${entry#*=}" ".venv-py${entry%%=*}"
done

# Lint and types once: mypy checks as the oldest Python (pyproject.toml).
echo "== ruff"
.venv/bin/ruff check src tests benchmarks scripts
.venv/bin/ruff format --check src tests benchmarks scripts
echo "== mypy (strict on sitbreak.core)"
.venv/bin/mypy
echo "== pytest (Python $default_version)"
.venv/bin/python -m pytest "$@"
for entry in "${extra[@]}"; do
    echo "== pytest (Python ${entry%%=*})"
    ".venv-py${entry%%=*}/bin/python" -m pytest "$@"
done
