"""What `sitbreak status` imports when a status bar runs it: its start-up budget.

Bars that poll (i3blocks, polybar) run `sitbreak status --format ...` every
few seconds, and its start-up must stay under 35 ms (issue 17; the figures
are in BENCHMARKS.md, from benchmarks/bench_startup.py). A clock in a test
would be flaky on a busy machine; what makes the time is what gets imported,
so that is what is checked, structurally: against the real `sitbreak run` on
a private bus, in a login's XDG directories (no SITBREAK_HOME), over the bus,
over the socket and with no daemon, every module loaded when the command
exits is listed (sys.modules) and none of the heavy ones may be among them.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator

import pytest

from desktop import FAST_DAEMON_CONFIG, Desktop, dbus_bus, desktop, wait_for, xdg_login

pytestmark = pytest.mark.desktop

#: The sitbreak modules `status` may import; a new one is a decision, made here.
ALLOWED = {
    "sitbreak",
    "sitbreak.cli",
    "sitbreak.commands",
    "sitbreak.commands.status",
    "sitbreak.errors",
    "sitbreak.exits",
    "sitbreak.text",
    "sitbreak.timezones",
    "sitbreak.paths",
    "sitbreak.daemon",
    "sitbreak.daemon.client",
    "sitbreak.daemon.control",
    "sitbreak.daemon.statusbar",
    "sitbreak.desktop",
    "sitbreak.desktop.dbus_client",
    "sitbreak.desktop.dbus_wire",
    "sitbreak.storage",
    "sitbreak.storage.sync_words",
}
#: What each costs a start milliseconds, and `status` has no use for.
HEAVY = {
    "argparse",  # and gettext: status reads its own arguments
    "gettext",
    "typing",
    "dataclasses",
    "inspect",
    "logging",
    "socket",  # the module's enums; clients connect with _socket
    "selectors",
    "pathlib",
    "platformdirs",
    "tempfile",
    "shutil",
    "sqlite3",
    "tomllib",
    "tomli",
    "tomlkit",
    "jeepney",  # and typing with it: one call is a few bytes (dbus_wire)
}
if sys.version_info < (3, 13):
    # From 3.13 the standard library's sysconfig, which zoneinfo reads its search
    # path from (the local zone: "next: stand up at 11:05"), imports threading itself.
    HEAVY.add("threading")


def imported(
    argv: list[str], env: dict[str, str]
) -> tuple[subprocess.CompletedProcess[str], set[str]]:
    """Run the CLI as its console script does, and every module loaded when it exits."""
    code = (
        "import atexit, sys\n"
        "atexit.register(lambda: sys.stderr.write('\\nloaded: ' + ' '.join(sys.modules)))\n"
        "from sitbreak.cli import main\n"
        "sys.exit(main())\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, *argv],
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    head, _, loaded = done.stderr.rpartition("\nloaded: ")
    assert loaded, done.stderr
    return subprocess.CompletedProcess(done.args, done.returncode, done.stdout, head), set(
        loaded.split()
    )


def without_bus(env: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in env.items() if k != "DBUS_SESSION_BUS_ADDRESS"}


@pytest.fixture(scope="module")
def situations(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, dict[str, str]]]:
    """What a bar meets: sitbreak over the bus, over its socket (with no session
    bus, and with one sitbreak is not on), and none, with and without a session
    bus. Over the bus the client has no socket to find: only the bus can answer."""
    tmp = tmp_path_factory.mktemp("status-imports")
    config = tmp / "config.toml"
    config.write_text(FAST_DAEMON_CONFIG)
    d: Desktop
    with desktop(with_dunst=False) as d, dbus_bus() as empty:
        env = xdg_login(tmp / "home", d.env)
        proc = subprocess.Popen(
            [sys.executable, "-m", "sitbreak", "run", "--config", str(config), "--notify", "log"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            wait_for(
                (tmp / "home" / "run" / "sitbreak" / "control.sock").exists,
                timeout=20,
                what="the daemon's control socket",
            )
            nobody = xdg_login(tmp / "nobody", dict(env, DBUS_SESSION_BUS_ADDRESS=empty.address))
            yield {
                "over the bus": xdg_login(tmp / "client", env),
                "over the socket": without_bus(env),
                # A bus with no sitbreak on it: the bus says so, then the socket answers.
                "over the socket, on a bus": dict(env, DBUS_SESSION_BUS_ADDRESS=empty.address),
                "not running, on a bus": nobody,
                "not running, no bus": without_bus(nobody),
            }
        finally:
            proc.terminate()
            proc.wait(15)


@pytest.mark.parametrize(
    "where",
    [
        "over the bus",
        "over the socket",
        "over the socket, on a bus",
        "not running, on a bus",
        "not running, no bus",
    ],
)
@pytest.mark.parametrize("fmt", ["text", "waybar", "i3blocks", "i3status-rs", "polybar"])
def test_status_imports_only_what_it_uses(
    situations: dict[str, dict[str, str]], where: str, fmt: str
) -> None:
    done, names = imported(["status", "--format", fmt], situations[where])
    running = not where.startswith("not running")
    if fmt == "text" and not running:
        assert done.returncode == 2
        assert done.stderr.splitlines()[-1].startswith("sitbreak: the monitor is not running")
    else:
        assert done.returncode == 0, done.stderr
        shown = done.stdout
        assert ("sitbreak off" in shown) is (fmt != "text" and not running), shown
    ours = {n for n in names if n == "sitbreak" or n.startswith("sitbreak.")}
    assert ours <= ALLOWED, sorted(ours - ALLOWED)
    heavy = {n for n in names if n.split(".")[0] in HEAVY}
    assert not heavy, sorted(heavy)
    # The listing is real: it saw what status does use.
    assert {"json", "sitbreak.commands.status", "sitbreak.daemon.client"} <= names
    if where == "over the bus":
        assert "sitbreak.desktop.dbus_wire" in names


def test_status_over_the_bus_does_not_even_look_for_the_socket(
    situations: dict[str, dict[str, str]],
) -> None:
    _, names = imported(["status", "--format", "waybar"], situations["over the bus"])
    assert "sitbreak.paths" not in names and "sitbreak.daemon.control" not in names
