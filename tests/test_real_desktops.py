"""`sitbreak run` on real desktops: GNOME Shell, sway with mako, KWin, Xfce's notifyd.

No imitations between sitbreak and the desktop: each test starts the real
compositor and notification server headless (tests/realdesk.py), gives it
real input through the desktop's own input path (Mutter's remote desktop
API, wtype, KWin's fake input, xdotool), runs the installed `sitbreak`
console script as the service runs it, and reads back what the desktop
shows through the desktop's own tools (GNOME's message tray, makoctl,
dunstctl, the X server's windows) and the session bus itself.

Run them alone with `pytest -m realdesktop`. Thresholds are seconds
(desktop.FAST_DAEMON_CONFIG): a posture prompt 5 s into a session, a move
prompt at 8 s and every 5 s after, a break after 6 s without input.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psutil
import pytest

import realdesk
from desktop import FAST_DAEMON_CONFIG, wait_for
from realdesk import BusWatch, RealDesktop

pytestmark = [pytest.mark.realdesktop, pytest.mark.desktop]

#: The console script pip installed beside this interpreter: what the service runs.
SITBREAK = str(Path(sys.executable).with_name("sitbreak"))
#: Seconds: the daemon looks every 5 s, so a session start or end is seen up to 5 s late.
SEEN_S = 20.0
#: From the last input to "ended: idle": 6 s of break_idle, a heartbeat, slack for load.
IDLE_END_S = 30.0
#: A person's rhythm: an input, then a pause longer than the desktops' 1 s idle
#: watches (swayidle learns of input only at the first one after an idle).
INPUT_EVERY_S = 1.5


DEBUG = ("--log-level", "DEBUG")


class Sitbreak:
    """`sitbreak run` as the user service starts it, in a desktop's environment."""

    def __init__(
        self,
        desktop: RealDesktop,
        work: Path,
        config: str = FAST_DAEMON_CONFIG,
        user: int | None = None,
    ) -> None:
        self.desktop = desktop
        #: Run as this user (the desktop's own, as a person's service is), not the test's.
        self.prefix = (
            ["setpriv", f"--reuid={user}", f"--regid={user}", "--clear-groups"]
            if user is not None and os.geteuid() == 0
            else []
        )
        self.home = work / "sitbreak-home"
        self.config = work / "config.toml"
        self.config.write_text(config)
        self.logfile = work / "sitbreak.log"
        self.env = dict(desktop.env, SITBREAK_HOME=str(self.home))
        if self.prefix:  # a home of that user's own (the desktop's is the test's)
            self.env.update(HOME=str(work), XDG_CONFIG_HOME=str(work / ".config"))
            for name in ("XDG_DATA_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME"):
                self.env.pop(name, None)
        self.env.pop("SITBREAK_CONFIG", None)
        self.proc: subprocess.Popen[bytes] | None = None

    def cli(self, *args: str, check: bool = True, timeout: float = 60) -> str:
        res = subprocess.run(
            [*self.prefix, SITBREAK, *args],
            env=self.desktop.procs.env(self.env),
            capture_output=True,
            text=True,
            check=False,
            timeout=timeout,
        )
        if check:
            assert res.returncode == 0, f"sitbreak {' '.join(args)}: {res.stderr}{res.stdout}"
        return res.stdout

    def doctor(self) -> dict:
        out = self.cli("doctor", "--json", "--config", str(self.config), check=False)
        return json.loads(out)

    def start(self) -> None:
        with self.logfile.open("ab") as log:
            self.proc = subprocess.Popen(
                [*self.prefix, SITBREAK, "run", "--config", str(self.config), *DEBUG],
                env=self.desktop.procs.env(self.env),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=log,
            )
        wait_for(
            lambda: (self.home / "run" / "control.sock").exists() or self.proc.poll() is not None,
            30,
            "the daemon's control socket",
        )
        assert self.proc.poll() is None, f"sitbreak run exited: {self.log()}"

    def log(self) -> str:
        return self.logfile.read_text(errors="replace") if self.logfile.exists() else ""

    def wait_log(self, text: str, timeout: float, during: Callable[[], None] | None = None) -> None:
        """Wait for `text` in the daemon's log, calling `during` (input) meanwhile."""
        deadline = time.monotonic() + timeout
        while text not in self.log():
            assert self.proc is not None and self.proc.poll() is None, self.log()
            if time.monotonic() > deadline:
                raise AssertionError(f"no {text!r} in the log after {timeout:g} s:\n{self.log()}")
            if during is not None:
                during()
                time.sleep(INPUT_EVERY_S)
            else:
                time.sleep(0.2)

    def status(self) -> dict:
        return json.loads(self.cli("status", "--json"))

    def stop(self) -> int:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(30)

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


Start = Callable[..., Sitbreak]


def _desktop_user_can_run_this_python() -> None:
    """Skip where the desktop's user cannot start this interpreter at all (as root, a
    pyenv Python under /root): nothing of sitbreak's is tried then. The same tests
    run on the default Python, whose interpreter that user can reach."""
    if os.geteuid() != 0:
        return
    probe = subprocess.run(
        [
            "setpriv",
            f"--reuid={realdesk.NOBODY}",
            f"--regid={realdesk.NOBODY}",
            "--clear-groups",
            sys.executable,
            "-c",
            "pass",
        ],
        check=False,
        capture_output=True,
        text=True,
        timeout=30,
    )
    if probe.returncode != 0:
        said = probe.stderr.strip().splitlines() or [f"exit status {probe.returncode}"]
        pytest.skip(f"the desktop's user cannot run {sys.executable} ({said[-1]})")


@pytest.fixture
def sitbreak(tmp_path: Path) -> Iterator[Start]:
    """sitbreak(desktop): a daemon for that desktop, killed at the end if still running."""
    made: list[Sitbreak] = []

    def make(
        desktop: RealDesktop, config: str = FAST_DAEMON_CONFIG, as_desktop_user: bool = False
    ) -> Sitbreak:
        """`as_desktop_user`: run as the user sway runs as, in a folder of theirs."""
        if as_desktop_user:
            _desktop_user_can_run_this_python()
            work = Path(desktop.extra["sway_config"]).parent / f"sitbreak-{len(made)}"
            work.mkdir()
            if os.geteuid() == 0:
                os.chown(work, realdesk.NOBODY, realdesk.NOBODY)
        else:
            work = tmp_path / f"sitbreak-{len(made)}"
            work.mkdir()
        desktop.clear()  # what an earlier test left on screen
        user = realdesk.NOBODY if as_desktop_user else None
        made.append(Sitbreak(desktop, work, config, user))
        return made[-1]

    yield make
    for daemon in made:
        daemon.kill()


def _desktop_fixture(start: Callable[[], contextlib.AbstractContextManager[RealDesktop]]) -> Any:
    """A module-wide fixture: one desktop for all its tests, started once, stopped after."""

    @pytest.fixture(scope="module")
    def running() -> Iterator[RealDesktop]:
        with start() as desktop:
            _record_start(desktop)
            yield desktop

    return running


gnome = _desktop_fixture(realdesk.gnome_shell)
sway = _desktop_fixture(realdesk.sway_mako)
kwin = _desktop_fixture(realdesk.kwin)
xfce = _desktop_fixture(realdesk.xfce_notifyd)


def _record_start(desktop: RealDesktop) -> None:
    """How long the desktop took to start, for BENCHMARKS.md (printed with -s, or -rA)."""
    tries = desktop.extra.get("attempts", 1)
    print(
        f"\n{desktop.name}: ready in {desktop.start_s:.2f} s ({tries} start(s)); {desktop.versions}"
    )


def _sessions_reported(daemon: Sitbreak) -> str:
    return daemon.cli("report", "--config", str(daemon.config))


# ------------------------------------------------------------------ a day on each desktop


def _a_day(
    desktop: RealDesktop,
    daemon: Sitbreak,
    source: str,
    server: str,
    one_shown: Callable[[], bool],
) -> BusWatch:
    """doctor, a session from real input, prompts replaced in place, idle, report."""
    report = daemon.doctor()
    assert report["activity"]["chosen"] == source, json.dumps(report, indent=1)
    checks = {(c["area"], c["name"]): c for c in report["checks"]}
    assert checks[("activity", source)]["detail"].startswith("used by `sitbreak run`")
    assert server in checks[("notifications", "server")]["detail"]

    watch = BusWatch(desktop.env["DBUS_SESSION_BUS_ADDRESS"])
    daemon.start()
    daemon.wait_log(f"is watching activity with {source}", 10)
    assert daemon.status()["state"] == "away"

    # Real input until the posture prompt and two move prompts have gone out.
    daemon.wait_log("session started", SEEN_S, during=desktop.input)
    assert daemon.status()["state"] == "sitting"
    daemon.wait_log("prompt (posture", 30, during=desktop.input)
    deadline = time.monotonic() + 40
    while sum(1 for n in watch.notified() if "seated" in n.summary) < 2:
        assert time.monotonic() < deadline, daemon.log()
        desktop.input()
        time.sleep(INPUT_EVERY_S)
    status = daemon.status()
    assert status["source"] == source
    assert status["notifications"] == "working", daemon.log()

    # Each prompt replaced the one before: one id, one notification on screen.
    wait_for(lambda: all(n.id is not None for n in watch.notified()), 10, "the server's replies")
    sent = watch.notified()
    kinds = ["move" if "seated" in n.summary else "posture" for n in sent]
    assert kinds[:1] == ["posture"] and kinds.count("move") >= 2, kinds
    first = sent[0].id
    assert first
    assert [n.id for n in sent] == [first] * len(sent), sent
    assert [n.replaces for n in sent[1:]] == [first] * (len(sent) - 1), sent
    wait_for(one_shown, 10, f"one sitbreak notification on {desktop.name}")

    # Nobody at the desk: the session ends by itself.
    daemon.wait_log("ended: idle", IDLE_END_S)
    assert daemon.status()["state"] == "away"

    # Stopped, the day is in the report.
    assert daemon.stop() == 0, daemon.log()
    day = _sessions_reported(daemon)
    assert "1 session" in day, day
    return watch


def test_gnome_shell_a_day_from_real_input_to_the_report(
    gnome: RealDesktop, sitbreak: Start
) -> None:
    daemon = sitbreak(gnome)

    def one_shown() -> bool:
        return len([n for n in gnome.shown() if n.app == "sitbreak"]) == 1

    lock = daemon.doctor()["checks"]
    (screen_lock,) = [c for c in lock if c["area"] == "lock"]
    assert screen_lock["status"] == "ok"
    assert "org.gnome.ScreenSaver: watching ActiveChanged" in screen_lock["detail"]
    watch = _a_day(gnome, daemon, "gnome", "gnome-shell 43", one_shown)
    try:
        # Every prompt asked for a banner: GNOME shows none for urgency "low".
        assert all(n.urgency is not None and n.urgency >= 1 for n in watch.notified())
    finally:
        watch.close()


def test_sway_with_mako_a_day_from_real_input_to_the_report(
    sway: RealDesktop, sitbreak: Start
) -> None:
    daemon = sitbreak(sway)

    def one_shown() -> bool:
        return len([n for n in sway.shown() if n.app == "sitbreak"]) == 1

    watch = _a_day(sway, daemon, "swayidle", "mako", one_shown)
    try:
        # mako shows low urgency like any other: the posture prompt stays gentle there.
        (posture, *moves) = watch.notified()
        assert posture.urgency == 0
        assert {n.urgency for n in moves} == {1}
    finally:
        watch.close()


def test_kwin_a_day_from_real_input_to_the_report(kwin: RealDesktop, sitbreak: Start) -> None:
    daemon = sitbreak(kwin)
    report = daemon.doctor()
    checks = {(c["area"], c["name"]): c for c in report["checks"]}
    # KWin's screen saver answers GetSessionIdleTime with NotSupported.
    assert "NotSupported" in checks[("activity", "freedesktop")]["detail"]

    def one_shown() -> bool:
        count = realdesk._dunstctl(kwin.env, "count", "displayed").strip()
        return count == "1"

    watch = _a_day(kwin, daemon, "swayidle", "dunst", one_shown)
    watch.close()


def test_xfce_notifyd_a_day_from_real_input_to_the_report(
    xfce: RealDesktop, sitbreak: Start
) -> None:
    daemon = sitbreak(xfce)
    watch = _a_day(xfce, daemon, "x11", "Xfce Notify Daemon 0.7.3", lambda: len(xfce.shown()) == 1)
    watch.close()


# ------------------------------------------------------------------ answering a prompt


def _break_from_a_button(
    desktop: RealDesktop,
    daemon: Sitbreak,
    press: Callable[[int], None],
    answered: Callable[[], bool] = lambda: True,
) -> None:
    watch = BusWatch(desktop.env["DBUS_SESSION_BUS_ADDRESS"])
    try:
        daemon.start()
        daemon.wait_log("session started", SEEN_S, during=desktop.input)
        deadline = time.monotonic() + 40
        while not [n for n in watch.notified() if "seated" in n.summary and n.id]:
            assert time.monotonic() < deadline, daemon.log()
            desktop.input()
            time.sleep(INPUT_EVERY_S)
        (move, *_) = [n for n in watch.notified() if "seated" in n.summary]
        assert "Taking a break" in move.actions
        assert move.id is not None
        press(move.id)
        daemon.wait_log("(move): break", 15)  # the notifier heard the button
        wait_for(answered, 5, "the answered prompt to leave the screen")
        daemon.wait_log("ended: break_now", 15)
        assert daemon.status()["state"] == "away"
        assert any(member == "ActionInvoked" for member, _ in watch.signals)
    finally:
        watch.close()
    assert daemon.stop() == 0


def test_mako_taking_a_break_ends_the_session(sway: RealDesktop, sitbreak: Start) -> None:
    daemon = sitbreak(sway)
    assert sway.invoke is not None
    invoke = sway.invoke

    def nothing_shown() -> bool:
        return not [n for n in sway.shown() if n.app == "sitbreak"]

    _break_from_a_button(sway, daemon, lambda id_: invoke(id_, "break"), nothing_shown)


def test_gnome_taking_a_break_ends_the_session(gnome: RealDesktop, sitbreak: Start) -> None:
    daemon = sitbreak(gnome)
    assert gnome.invoke is not None
    invoke = gnome.invoke
    _break_from_a_button(gnome, daemon, lambda id_: invoke(id_, "Taking a break"))


# ------------------------------------------------------------------ GNOME's own signals


def test_gnome_screensaver_lock_is_a_lock(gnome: RealDesktop, sitbreak: Start) -> None:
    daemon = sitbreak(gnome)
    daemon.start()
    daemon.wait_log("session started", SEEN_S, during=gnome.input)
    realdesk.dbus_call(
        gnome.env, "org.gnome.ScreenSaver", "/org/gnome/ScreenSaver", "org.gnome.ScreenSaver.Lock"
    )
    try:
        wait_for(
            lambda: (
                realdesk.dbus_call(
                    gnome.env,
                    "org.gnome.ScreenSaver",
                    "/org/gnome/ScreenSaver",
                    "org.gnome.ScreenSaver.GetActive",
                )
                == "(true,)"
            ),
            15,
            "GNOME Shell's lock screen",
        )
        daemon.wait_log("screen locked", 15)
        daemon.wait_log("ended: lock", 20)
    finally:
        realdesk.dbus_call(
            gnome.env,
            "org.gnome.ScreenSaver",
            "/org/gnome/ScreenSaver",
            "org.gnome.ScreenSaver.SetActive",
            "false",
        )
    wait_for(
        lambda: (
            realdesk.dbus_call(
                gnome.env,
                "org.gnome.ScreenSaver",
                "/org/gnome/ScreenSaver",
                "org.gnome.ScreenSaver.GetActive",
            )
            == "(false,)"
        ),
        15,
        "the lock screen to go",
    )
    daemon.wait_log("screen unlocked", 15)
    assert daemon.stop() == 0


def test_posture_prompt_shows_a_banner_on_gnome(gnome: RealDesktop, sitbreak: Start) -> None:
    daemon = sitbreak(gnome)
    daemon.start()
    daemon.wait_log("session started", SEEN_S, during=gnome.input)
    seen: list[realdesk.Shown] = []
    deadline = time.monotonic() + 30
    while not seen:
        assert time.monotonic() < deadline, daemon.log()
        gnome.input()
        seen = [n for n in gnome.shown() if n.app == "sitbreak" and n.banner]
        time.sleep(0.3)
    assert "seated" not in seen[0].summary  # the posture prompt, before any move prompt
    assert daemon.stop() == 0


def test_a_gnome_shell_slow_at_start_does_not_leave_sitbreak_blind(
    gnome: RealDesktop, sitbreak: Start
) -> None:
    """Stopped while sitbreak starts, GNOME Shell lets swayidle look usable, until it answers."""
    daemon = sitbreak(gnome)
    shell = gnome.extra["shell"]
    os.kill(shell.pid, signal.SIGSTOP)
    try:
        report = daemon.doctor()
        assert report["activity"]["chosen"] == "swayidle", json.dumps(report, indent=1)
        names = [c["name"] for c in report["problems"] + report["checks"]]
        assert "(not the desktop's own)" in names
        daemon.start()
        daemon.wait_log("is watching activity with swayidle", 30)
    finally:
        os.kill(shell.pid, signal.SIGCONT)
    # swayidle finds no idle protocol once the shell answers; GNOME's own is taken.
    deadline = time.monotonic() + 60
    while daemon.status()["source"] != "gnome":
        assert time.monotonic() < deadline, daemon.log()
        time.sleep(1)
    assert "watching activity with gnome" in daemon.log() or "gnome works now" in daemon.log()
    daemon.wait_log("session started", SEEN_S, during=gnome.input)
    status = daemon.status()
    assert (status["state"], status["activity"]) == ("sitting", "seen")
    assert daemon.stop() == 0


def test_when_the_compositor_is_gone_status_says_nothing_can_be_seen(sitbreak: Start) -> None:
    """sway dies under a running sitbreak: swayidle cannot come back, and status says so."""
    with realdesk.sway_mako() as own:  # a sway of this test's own, to kill
        daemon = sitbreak(own)
        daemon.start()
        daemon.wait_log("session started", SEEN_S, during=own.input)
        compositor = own.procs.groups[0]
        os.killpg(compositor.pid, signal.SIGKILL)
        compositor.wait(10)
        daemon.wait_log("not restarting it", 60)
        deadline = time.monotonic() + 30
        while daemon.status()["activity"] == "seen":
            assert time.monotonic() < deadline, daemon.log()
            time.sleep(1)
        status = daemon.status()
        assert status["activity"].startswith("not seen: swayidle"), status
        text = daemon.cli("status")
        assert text.startswith("sitbreak cannot see keyboard or mouse activity right now"), text
        assert daemon.proc is not None and daemon.proc.poll() is None  # still running
        assert "Unable to connect to the compositor" in text
        assert daemon.stop() == 0


# ------------------------------------------------------------------ misbehaving servers


def test_mako_answering_twice_never_takes_the_notifier_down(sway: RealDesktop) -> None:
    """mako 1.7.1 answers GetCapabilities with a reply, then an UnknownMethod error."""
    from sitbreak.desktop.notify import DBusNotifier
    from sitbreak.prompts import Message, Urgency

    address = sway.env["DBUS_SESSION_BUS_ADDRESS"]
    watch = BusWatch(address)
    try:
        failures = []
        for i in range(30):
            notifier = DBusNotifier(address, on_response=lambda _r: None)
            message = Message("posture", 1, f"Sit back {i}", "Shoulders down.", Urgency.LOW, 5, "p")
            try:
                notifier.send(message)
                notifier.send(message)  # the same connection, still listening
            except Exception as exc:
                failures.append(repr(exc))
            finally:
                notifier.close()
        assert not failures, failures
        # The bus carried mako's double answer: the notifier saw it and carried on.
        doubled = [k for k, kinds in watch.replies.items() if kinds == ["method_return", "error"]]
        assert doubled, "mako no longer answers GetCapabilities twice: update the docs"
    finally:
        watch.close()


# ------------------------------------------------------------------ screen lock on sway

#: How long a lock takes to reach sitbreak at most: it watches the locker's process every
#: 2 s (LockerWatch); silence for this long means it never comes.
LOCK_HEARD_S = 10.0


def _lock_check(report: dict) -> dict:
    (check,) = [c for c in report["checks"] if c["area"] == "lock"]
    return check


def _swayidle_started_by_sway(desk: RealDesktop) -> None:
    """Wait for the swayidle of sway's config (doctor looks for it)."""
    wait_for(
        lambda: [p for p in desk.procs.marked() if realdesk._name(p) == "swayidle"],
        15,
        "sway to start swayidle",
    )


def _no_locker_of_ours_runs() -> None:
    """The watch sees its user's lockers by name: wait out one another sway left up."""
    wait_for(
        lambda: not [p for p in psutil.process_iter(["name", "uids"]) if _ours_locker(p)],
        60,
        "no other swaylock of this user",
    )


def _ours_locker(proc: psutil.Process) -> bool:
    uids = proc.info.get("uids")
    user = realdesk.NOBODY if os.geteuid() == 0 else os.getuid()  # whom sway runs as
    return proc.info.get("name") == "swaylock" and uids is not None and uids.real == user


def _ok_for_a_bare_swaylock(report: dict) -> None:
    lock = _lock_check(report)
    assert lock["status"] == "ok", json.dumps(report, indent=1)
    assert lock["detail"].startswith(
        "sitbreak watches this user's processes (their names only, every 2 s) for swaylock"
    )
    assert "lock" not in [p["area"] for p in report["problems"]]


def _locked_is_heard(desk: RealDesktop, daemon: Sitbreak, *, hint: bool) -> None:
    """swaylock is on screen: the session ends as a lock; its exit is the unlock. LockedHint
    is whatever the config made it (`hint`): sitbreak does not need it."""
    wait_for(lambda: realdesk.swaylocks(desk), 15, "swaylock on screen")
    daemon.wait_log("screen locked", LOCK_HEARD_S)
    daemon.wait_log("ended: lock", 20)
    assert realdesk.locked_hint(desk.env) is hint
    realdesk.unlock_swaylock(desk)
    daemon.wait_log("screen unlocked", LOCK_HEARD_S)
    wait_for(lambda: not realdesk.locked_hint(desk.env), 10, "LockedHint cleared (if set)")
    assert daemon.stop() == 0
    assert daemon.log().count("screen locked") == 1, daemon.log()


def test_sway_a_bare_swaylock_key_is_heard_and_doctor_says_ok(sitbreak: Start) -> None:
    """The usual sway set-up: a key that runs swaylock, nothing else. The lock ends the
    session as a lock, its unlock is heard, and doctor says ok, with nothing to add."""
    _no_locker_of_ours_runs()
    with realdesk.sway_mako("bindsym Mod4+l exec swaylock\n", logind=True) as desk:
        daemon = sitbreak(desk, as_desktop_user=True)
        _ok_for_a_bare_swaylock(daemon.doctor())
        daemon.start()
        daemon.wait_log("session started", SEEN_S, during=desk.input)
        subprocess.run(["swaymsg", "exec", "swaylock"], env=desk.env, check=True, timeout=10)
        _locked_is_heard(desk, daemon, hint=False)


def test_sway_with_the_hint_line_a_lock_is_still_one_lock(sitbreak: Start) -> None:
    """sway's config holds the swayidle line that sets LockedHint around swaylock (once
    needed, now optional) and a lock key through logind: doctor says ok, and the lock is
    counted once (the process watch is the one source of truth), its unlock too."""
    from sitbreak.desktop.sway_lock import LOCK_KEY_LINE, SWAYIDLE_LINES

    config = f"set $mod Mod4\n{SWAYIDLE_LINES}\n{LOCK_KEY_LINE}\n"  # as the docs show it
    _logind_lock_through_swayidle_is_heard(sitbreak, config, hint=True)


def test_sway_a_swayidle_lock_handler_without_the_hint_is_heard_too(sitbreak: Start) -> None:
    """swayidle's `lock` runs swaylock when logind is asked to lock, and nothing sets
    LockedHint: the lock is heard all the same, from swaylock's process."""
    config = "exec swayidle -w timeout 300 'loginctl lock-session' lock 'swaylock -f'\n"
    _logind_lock_through_swayidle_is_heard(sitbreak, config, hint=False)


def _logind_lock_through_swayidle_is_heard(sitbreak: Start, config: str, hint: bool) -> None:
    """sway started with `config` (which starts swayidle): doctor says ok, and a lock
    asked of logind, which swayidle turns into swaylock, is heard once, its unlock too."""
    _no_locker_of_ours_runs()
    with realdesk.sway_mako(config, logind=True) as desk:
        _swayidle_started_by_sway(desk)
        daemon = sitbreak(desk, as_desktop_user=True)
        _ok_for_a_bare_swaylock(daemon.doctor())
        daemon.start()
        daemon.wait_log("session started", SEEN_S, during=desk.input)
        realdesk.lock_session(desk.env)
        _locked_is_heard(desk, daemon, hint=hint)
