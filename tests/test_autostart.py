"""`sitbreak service`: the systemd user unit, installing it, and the daemon's sd_notify talk.

systemd itself is not needed: `systemd-analyze verify --user` checks the unit
files, a recording stub stands in for `systemctl` ($SITBREAK_SYSTEMCTL), and a
datagram socket the test binds stands in for systemd's $NOTIFY_SOCKET.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from desktop import FAST_DAEMON_CONFIG, IN_CI, desktop
from sitbreak import autostart as unit
from sitbreak import cli, exits

REPO = Path(__file__).resolve().parents[1]
SHIPPED = REPO / "systemd" / "sitbreak.service"
EXEC_START = f"ExecStart={sys.executable} -m sitbreak run"

RUNNING = """\
LoadState=loaded
ActiveState=active
SubState=running
ActiveEnterTimestamp=Tue 2024-11-19 10:20:30 CET
UnitFileState=enabled
MainPID=4242
Result=success
ExecMainStatus=0
"""


def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    code = cli.main(["service", *argv])
    captured = capsys.readouterr()
    return code, captured.out + captured.err


# ---------------------------------------------------------------- systemd-analyze


def systemd_analyze() -> str:
    """The systemd-analyze binary: skip locally, fail under CI=true, when it is missing."""
    path = shutil.which("systemd-analyze")
    if path is None:
        message = "needs systemd-analyze (apt-get install systemd)"
        if IN_CI:
            pytest.fail(f"CI=true: {message}")
        pytest.skip(message)
    return path


def verify(text: str, where: Path) -> str:
    """Everything `systemd-analyze verify --user` says about `text` ("" when it is happy).

    It exits 0 on unknown keys and bad values and only prints a warning, so
    any output at all counts as a finding.
    """
    runtime = where / "runtime"
    runtime.mkdir(mode=0o700)
    runtime.chmod(0o700)  # it insists on a private XDG_RUNTIME_DIR
    units = where / "units"
    units.mkdir()
    path = units / unit.UNIT_NAME
    path.write_text(text)
    env = dict(
        os.environ,
        XDG_RUNTIME_DIR=str(runtime),
        XDG_CONFIG_HOME=str(where / "config"),  # none of the developer's own units
        SYSTEMD_LOG_COLOR="0",
    )
    res = subprocess.run(
        [systemd_analyze(), "verify", "--user", str(path)],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    status = f"exit status {res.returncode}\n" if res.returncode else ""
    return status + res.stdout + res.stderr


def test_the_shipped_unit_is_the_template() -> None:
    assert SHIPPED.read_text() == unit.render_unit()


def test_systemd_analyze_accepts_the_shipped_unit(tmp_path: Path) -> None:
    assert verify(SHIPPED.read_text(), tmp_path) == ""


def test_systemd_analyze_accepts_the_installed_unit(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, text = run_cli(capsys, "install", "--print")
    assert code == 0
    assert EXEC_START in text.splitlines()
    assert verify(text, tmp_path) == ""


def test_systemd_analyze_accepts_awkward_paths(tmp_path: Path) -> None:
    # A Python in a directory with a blank, a `%` and a `$`: if the escaping is
    # wrong, systemd looks for another file and says it is missing.
    odd = tmp_path / "my env 100% $HOME"
    odd.mkdir()
    python = odd / "python"
    python.write_text("#!/bin/sh\n")
    python.chmod(0o755)
    environment = {"SITBREAK_HOME": str(odd), "XDG_DATA_HOME": "/data/50%"}
    text = unit.render_unit([str(python), "-m", "sitbreak", "run"], environment)
    assert 'ExecStart="' in text
    assert 'Environment="XDG_DATA_HOME=/data/50%%"' in text
    # In arguments (not in the program path) systemd expands $VARIABLES.
    assert unit.render_unit(["/bin/py", "a$b"]).count("ExecStart=/bin/py a$$b\n") == 1
    assert verify(text, tmp_path) == ""


def test_systemd_analyze_complains_about_a_misspelled_key(tmp_path: Path) -> None:
    # The check above must be able to fail: a typo only earns a warning, exit 0.
    text = unit.render_unit().replace("RestartSec=", "RestartSecs=")
    assert "RestartSecs" in verify(text, tmp_path)


def test_the_unit_does_not_restart_on_the_daemons_hopeless_exits() -> None:
    hopeless = (exits.EXIT_CONFIG, exits.EXIT_NO_SOURCE, exits.EXIT_ALREADY_RUNNING)
    assert tuple(unit.EXIT_MEANINGS) == hopeless == (2, 3, 4)
    lines = SHIPPED.read_text().splitlines()
    assert f"RestartPreventExitStatus={' '.join(map(str, hopeless))}" in lines
    for line in (
        "Type=notify",
        "Restart=on-failure",
        "PartOf=graphical-session.target",
        "After=graphical-session.target",
        "WantedBy=graphical-session.target",
        "ExecReload=/bin/kill -HUP $MAINPID",
        "UMask=0077",
    ):
        assert line in lines


# ---------------------------------------------------------------- install / uninstall / status


@dataclass
class Stub:
    """A `systemctl` that records its arguments and answers `show` from a file."""

    log: Path
    show: Path
    config: Path  # XDG_CONFIG_HOME

    @property
    def calls(self) -> list[str]:
        return self.log.read_text().splitlines() if self.log.exists() else []

    @property
    def unit_file(self) -> Path:
        return self.config / "systemd" / "user" / unit.UNIT_NAME


@pytest.fixture
def stub(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Stub:
    log, show = tmp_path / "systemctl.log", tmp_path / "show.txt"
    script = tmp_path / "systemctl"
    script.write_text(
        "#!/bin/sh\n"
        f'printf "%s\\n" "$*" >> {shlex.quote(str(log))}\n'
        # STUB_FAIL=WORD: calls with that word fail, as a failed start does.
        'case " $* " in *" ${STUB_FAIL:-none} "*) echo "Job for sitbreak.service failed." >&2;'
        " exit 1;; esac\n"
        f'case " $* " in *" show "*) cat {shlex.quote(str(show))} 2>/dev/null;; esac\n'
    )
    script.chmod(0o755)
    config = tmp_path / "config"
    monkeypatch.setenv(unit.SYSTEMCTL_ENV, str(script))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(config))
    monkeypatch.delenv("STUB_FAIL", raising=False)
    return Stub(log, show, config)


def test_install_writes_the_unit_then_reloads_and_enables(
    stub: Stub, capsys: pytest.CaptureFixture[str], sitbreak_home: Path
) -> None:
    stub.show.write_text(RUNNING)
    code, out = run_cli(capsys, "install")
    assert code == 0, out
    text = stub.unit_file.read_text()
    assert EXEC_START in text.splitlines()
    # The service uses the same files as the shell that installed it.
    assert f'Environment="SITBREAK_HOME={sitbreak_home}"' in text.splitlines()
    assert stub.unit_file.stat().st_mode & 0o777 == 0o644
    assert stub.calls[:2] == ["--user daemon-reload", "--user enable --now sitbreak.service"]
    assert f"wrote {stub.unit_file}" in out
    assert "running (pid 4242) since 2024-11-19 10:20" in out


def test_install_no_start_enables_for_the_next_session_only(
    stub: Stub, capsys: pytest.CaptureFixture[str], sitbreak_home: Path
) -> None:
    stub.show.write_text("LoadState=loaded\nActiveState=inactive\nUnitFileState=enabled\n")
    code, out = run_cli(capsys, "install", "--no-start")
    assert code == 0, out
    assert stub.unit_file.exists()
    assert [c for c in stub.calls if "enable" in c or "start" in c] == [
        "--user enable sitbreak.service"
    ]
    assert "not started now: `systemctl --user start sitbreak.service` starts it" in out


def test_install_restarts_a_running_service_only_when_the_unit_changed(
    stub: Stub, capsys: pytest.CaptureFixture[str]
) -> None:
    stub.show.write_text(RUNNING)
    assert run_cli(capsys, "install")[0] == 0
    code, out = run_cli(capsys, "install")
    assert code == 0
    assert "kept (unchanged)" in out
    stub.unit_file.write_text(stub.unit_file.read_text().replace(" run\n", " run --old\n"))
    code, out = run_cli(capsys, "install")
    assert code == 0
    assert f"updated {stub.unit_file}" in out
    assert "--old" not in stub.unit_file.read_text()
    assert [c for c in stub.calls if "restart" in c] == ["--user try-restart sitbreak.service"]
    # Changed, but not running: `enable --now` starts it, once.
    stub.show.write_text("LoadState=loaded\nActiveState=inactive\n")
    stub.unit_file.write_text(stub.unit_file.read_text().replace(" run\n", " run --old\n"))
    assert run_cli(capsys, "install")[0] == 0
    assert len([c for c in stub.calls if "restart" in c]) == 1


def test_install_says_why_the_service_did_not_start(
    stub: Stub, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STUB_FAIL", "enable")
    stub.show.write_text(
        RUNNING.replace("ActiveState=active", "ActiveState=failed")
        .replace("MainPID=4242", "MainPID=0")
        .replace("ExecMainStatus=0", "ExecMainStatus=3")
        .replace("Result=success", "Result=exit-code")
    )
    code, out = run_cli(capsys, "install")
    assert code == 1
    assert "Job for sitbreak.service failed." in out
    assert "exit status 3, no way to watch keyboard/mouse activity" in out
    assert "journalctl --user -u sitbreak" in out


def test_uninstall_disables_removes_and_reloads(
    stub: Stub, capsys: pytest.CaptureFixture[str]
) -> None:
    stub.show.write_text(RUNNING)
    assert run_cli(capsys, "install")[0] == 0
    before = len(stub.calls)
    code, out = run_cli(capsys, "uninstall")
    assert code == 0, out
    assert not stub.unit_file.exists()
    assert stub.calls[before:] == [
        "--user disable --now sitbreak.service",
        "--user daemon-reload",
    ]
    # Once more: nothing is installed, nothing is called.
    code, out = run_cli(capsys, "uninstall")
    assert code == 0
    assert "not installed" in out
    assert len(stub.calls) == before + 2


def test_status_reads_systemctl_show(stub: Stub, capsys: pytest.CaptureFixture[str]) -> None:
    stub.show.write_text(RUNNING)
    code, out = run_cli(capsys, "status")
    assert code == 0
    assert out.startswith("sitbreak.service: running (pid 4242) since 2024-11-19 10:20")
    assert "enabled: starts with your graphical session" in out
    (call,) = stub.calls
    props = call.split(" -p ")[1].split(",")
    for name in ("ActiveState", "SubState", "ActiveEnterTimestamp", "UnitFileState", "MainPID"):
        assert name in props

    stub.show.write_text("LoadState=not-found\nActiveState=inactive\nUnitFileState=\n")
    code, out = run_cli(capsys, "status")
    assert code == 3
    assert "not installed" in out


@pytest.mark.parametrize(
    ("show", "expected"),
    [
        (RUNNING, "running (pid 4242) since 2024-11-19 10:20 (2 h 05); enabled"),
        ("LoadState=not-found\n", "is not installed; `sitbreak service install`"),
        (
            "LoadState=loaded\nActiveState=inactive\nSubState=dead\nUnitFileState=enabled\n",
            "not running; enabled: starts with your graphical session",
        ),
        (
            "LoadState=loaded\nActiveState=failed\nResult=exit-code\nExecMainStatus=2\n"
            "UnitFileState=disabled\n",
            "failed: exit status 2, the configuration is invalid",
        ),
        (
            "LoadState=loaded\nActiveState=failed\nResult=watchdog\nExecMainStatus=6\n",
            "stopped answering the watchdog",
        ),
        (
            "LoadState=loaded\nActiveState=failed\nResult=start-limit-hit\n",
            "reset-failed sitbreak",
        ),
        (
            "LoadState=loaded\nActiveState=activating\nSubState=auto-restart\n",
            "restarting after a failure",
        ),
        (
            "LoadState=loaded\nActiveState=inactive\nUnitFileState=disabled\n",
            "not enabled: it will not start by itself",
        ),
    ],
)
def test_status_in_words(show: str, expected: str) -> None:
    now = dt.datetime(2024, 11, 19, 12, 25, 59)
    assert expected in unit.ServiceStatus.parse(show).describe(now)


# ---------------------------------------------------------------- without systemd


@pytest.fixture
def no_systemd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A Linux without systemd; returns XDG_CONFIG_HOME."""
    monkeypatch.delenv(unit.SYSTEMCTL_ENV, raising=False)
    monkeypatch.setattr(unit, "SYSTEMD_MARKER", tmp_path / "no-run-systemd-system")
    monkeypatch.setattr(sys, "platform", "linux")
    config = tmp_path / "config"
    monkeypatch.setenv("XDG_CONFIG_HOME", str(config))
    return config


def test_without_systemd_status_says_what_starts_it_and_whether_it_runs(
    no_systemd: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = io.StringIO()
    assert unit.autostart_status(out, running_pid=None) == 3
    assert "nothing starts it at login (`sitbreak service install --autostart`)" in out.getvalue()
    assert "It is not running now (`sitbreak run &` starts it)." in out.getvalue()
    entry = unit.autostart_path()
    entry.parent.mkdir(parents=True)
    entry.write_text("[Desktop Entry]\n")
    out = io.StringIO()
    assert unit.autostart_status(out, running_pid=4242) == 0
    assert f"an autostart entry starts it at login ({entry})" in out.getvalue()
    assert "It is running now (pid 4242)." in out.getvalue()


def test_without_systemd_install_explains_autostart(
    no_systemd: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out = run_cli(capsys, "install")
    assert code == 1
    assert "systemd does not manage this session" in out
    assert "sitbreak service install --autostart" in out
    assert f"Exec={sys.executable} -m sitbreak run" in out.splitlines()
    assert not (no_systemd / "systemd").exists()


def test_autostart_entry_is_written_reported_and_removed(
    no_systemd: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    entry = no_systemd / "autostart" / "sitbreak.desktop"
    code, out = run_cli(capsys, "install", "--autostart")
    assert code == 0, out
    lines = entry.read_text().splitlines()
    assert lines[0] == "[Desktop Entry]"
    assert f"Exec={sys.executable} -m sitbreak run" in lines
    assert "Type=Application" in lines
    code, out = run_cli(capsys, "status")
    assert code == 3
    assert str(entry) in out
    code, out = run_cli(capsys, "uninstall")
    assert code == 0
    assert not entry.exists()
    assert f"removed {entry}" in out


def test_without_systemd_the_monitor_running_now_is_named_not_started_again(
    no_systemd: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """install.sh has started sitbreak; the person then runs `service install
    --autostart` and later `service uninstall`. They were told "to start it
    now: `sitbreak run &`" (which would fail: it runs) and, on uninstall,
    nothing of the monitor that goes on running."""
    from sitbreak.daemon.startup import InstanceLock, lock_path

    lock = InstanceLock(lock_path())
    lock.acquire()  # a monitor runs: this process, as far as the lock says
    try:
        code, out = run_cli(capsys, "install", "--autostart")
        assert code == 0, out
        assert "`sitbreak run &`" not in out
        assert out.splitlines()[-1] == (
            f"sitbreak is running now (pid {os.getpid()}), and starts with your desktop "
            "login from now on."
        )
        code, out = run_cli(capsys, "uninstall")
        assert code == 0, out
        assert out.splitlines()[-1] == (
            f"sitbreak is still running (pid {os.getpid()}) until you log out; "
            f"`kill {os.getpid()}` stops it now."
        )
    finally:
        lock.release()
    code, out = run_cli(capsys, "install", "--autostart")  # nothing runs now
    assert "to start it now: `sitbreak run &`" in out


def test_advice_for_macos_and_windows() -> None:
    mac = unit.advice(unit.Host("darwin", None), ["/opt/py & co/bin/python3", "-m"])
    assert "<string>/opt/py &amp; co/bin/python3</string>" in mac
    assert "~/Library/LaunchAgents/org.sitbreak.plist" in mac
    assert "launchctl bootstrap" in mac
    win = unit.advice(
        unit.Host("win32", None), [r"C:\Program Files\Python\python.exe", "-m", "sitbreak", "run"]
    )
    assert "schtasks /Create /TN sitbreak /SC ONLOGON" in win
    assert r'"C:\Program Files\Python\python.exe" -m sitbreak run' in win
    assert "shell:startup" in win


def test_detect(tmp_path: Path) -> None:
    marker = tmp_path / "system"

    def found(name: str) -> str | None:
        return f"/usr/bin/{name}"

    assert unit.detect({}, found, marker, "linux").systemctl is None  # not booted with systemd
    marker.mkdir()
    assert unit.detect({}, found, marker, "linux").systemctl == "/usr/bin/systemctl"
    assert unit.detect({}, lambda _name: None, marker, "linux").systemctl is None
    assert unit.detect({}, found, marker, "darwin").systemctl is None
    chosen = {unit.SYSTEMCTL_ENV: "/stub/systemctl"}
    assert unit.detect(chosen, found, tmp_path / "absent", "linux").systemctl == "/stub/systemctl"


def test_desktop_entry_quoting() -> None:
    entry = unit.autostart_entry(["/opt/my env/python", "-m", "sitbreak", "run", "100%"])
    assert 'Exec="/opt/my env/python" -m sitbreak run 100%%' in entry.splitlines()


def test_import_problem_names_an_interpreter_without_sitbreak(tmp_path: Path) -> None:
    python = tmp_path / "python"
    python.write_text("#!/bin/sh\nexit 1\n")
    python.chmod(0o755)
    problem = unit.import_problem(str(python))
    assert problem is not None
    assert "PYTHONPATH" in problem


# ---------------------------------------------------------------- sd_notify, for real

CONFIG = FAST_DAEMON_CONFIG


class NotifySocket:
    """What systemd would receive: every datagram sent to $NOTIFY_SOCKET, with its time."""

    def __init__(self) -> None:
        # A short path: AF_UNIX addresses are limited to 108 bytes.
        self.dir = Path(tempfile.mkdtemp(prefix="sbn-", dir="/tmp"))
        self.path = self.dir / "notify"
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(str(self.path))
        self.sock.settimeout(0.1)
        self.received: list[tuple[float, list[str]]] = []

    def lines(self, field: str) -> list[float]:
        return [t for t, lines in self.received if field in lines]

    def wait_for(
        self, predicate: Callable[[], bool], proc: subprocess.Popen[str], timeout: float
    ) -> None:
        deadline = time.monotonic() + timeout
        while not predicate():
            try:
                data = self.sock.recv(4096)
            except TimeoutError:
                # Nothing queued: a process that has exited will send no more.
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise AssertionError(
                        f"got only {self.received} (exit status {proc.poll()})"
                    ) from None
                continue
            self.received.append((time.monotonic(), data.decode().splitlines()))

    def close(self) -> None:
        self.sock.close()
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture
def notify_socket() -> Iterator[NotifySocket]:
    ns = NotifySocket()
    try:
        yield ns
    finally:
        ns.close()


@pytest.mark.desktop
def test_the_daemon_tells_systemd_ready_status_watchdog_stopping(
    tmp_path: Path, notify_socket: NotifySocket
) -> None:
    config = tmp_path / "config.toml"
    config.write_text(CONFIG)
    with desktop(with_dunst=False) as d:
        env = dict(
            d.env,
            SITBREAK_HOME=str(tmp_path / "home"),
            NOTIFY_SOCKET=str(notify_socket.path),
            WATCHDOG_USEC="2000000",  # 2 s: pings expected every second
            JOURNAL_STREAM="8:12345",  # as under systemd: log lines carry a priority
            PYTHONPATH=os.pathsep.join(
                filter(None, [str(REPO / "src"), os.environ.get("PYTHONPATH")])
            ),
        )
        for name in ("SITBREAK_CONFIG", "WATCHDOG_PID"):
            env.pop(name, None)
        proc = subprocess.Popen(
            [sys.executable, "-m", "sitbreak", "run", "--config", str(config)],
            env=env,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            notify_socket.wait_for(lambda: bool(notify_socket.lines("READY=1")), proc, 20)
            ready_at, first = notify_socket.received[-1]
            assert any(line.startswith("STATUS=") for line in first), first

            notify_socket.wait_for(
                lambda: len([t for t in notify_socket.lines("WATCHDOG=1") if t >= ready_at]) >= 2,
                proc,
                3.5,
            )
            pings = [t for t in notify_socket.lines("WATCHDOG=1") if t >= ready_at]
            assert pings[1] - ready_at <= 3.5

            proc.send_signal(signal.SIGTERM)
            notify_socket.wait_for(lambda: bool(notify_socket.lines("STOPPING=1")), proc, 10)
            _, log = proc.communicate(timeout=15)
            assert proc.returncode == 0, log
            assert re.search(r"^<6>sitbreak is watching activity", log, re.MULTILINE), log
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.communicate()


@pytest.mark.parametrize(
    ("now", "age"),
    [
        (dt.datetime(2024, 11, 19, 10, 21, 50), "(1 min 20 s)"),
        (dt.datetime(2024, 11, 20, 12, 25, 30), "(26 h 05)"),
        (dt.datetime(2024, 11, 21, 10, 20, 30), "(2 days)"),
        (dt.datetime(2024, 11, 29, 9, 0), "(9 days)"),
    ],
)
def test_the_service_age_uses_the_one_duration_form(now: dt.datetime, age: str) -> None:
    # Started Tue 2024-11-19 10:20:30.
    assert f"since 2024-11-19 10:20 {age}; enabled" in unit.ServiceStatus.parse(RUNNING).describe(
        now
    )
