"""Notifications against a real server: dunst on Xvfb, on a private session bus.

What a person sees (urgency, expiry, one notification replaced in place) is
read back from dunst itself (`dunstctl history`, with rules that stamp the
urgency dunst understood into the text). Buttons are pressed through dunst's
own context menu, whose `dmenu` is a script that picks the wanted line:
exactly the path a click takes, without a pointer. The engine half of each
button is then checked on `sitbreak.core.Engine`, fed from the callback.
"""

from __future__ import annotations

import json
import logging
import queue
import subprocess
import textwrap
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from desktop import Desktop, dbus_bus, desktop, name_has_owner, wait_for
from sitbreak.core import (
    BreakNow,
    Cause,
    Engine,
    EngineSettings,
    Output,
    PromptDue,
    PromptKind,
    SessionEnded,
    Snooze,
)
from sitbreak.desktop import notify
from sitbreak.desktop.notify import (
    OUTCOME_OF,
    RESPONSE_ACTIONS,
    SNOOZE_S,
    DBusNotifier,
    LogNotifier,
    NotifyError,
    PlyerNotifier,
    PromptResponse,
    RecordingNotifier,
    ResilientNotifier,
    actions_for,
    make_notifier,
)
from sitbreak.prompts import Message, PromptWriter, Urgency, load_library
from sitbreak.storage.store import OUTCOMES

MIN = 60.0
T0 = 1_800_000_000.0


def message(kind: str = "move", level: int = 1, **changes: object) -> Message:
    fields: dict[str, object] = {
        "kind": kind,
        "level": level,
        "title": f"{kind} {level}",
        "body": "Stand up and walk for 2–3 minutes.",
        "urgency": Urgency.NORMAL,
        "expire_s": 60.0,
        "prompt_id": f"{kind}-test",
        "due_t": T0,
    }
    fields.update(changes)
    return Message(**fields)  # type: ignore[arg-type]


# ------------------------------------------------------- without a desktop


def test_every_response_maps_to_an_outcome_the_store_accepts() -> None:
    assert set(OUTCOME_OF) == set(RESPONSE_ACTIONS)
    assert set(OUTCOME_OF.values()) == OUTCOMES
    assert {a: OUTCOME_OF[a] for a in ("break", "snooze", "skip", "dismissed", "expired")} == {
        "break": "heeded",
        "snooze": "snoozed",
        "skip": "skipped",
        "dismissed": "ignored",
        "expired": "ignored",
    }


def test_move_prompts_offer_a_break_a_snooze_and_a_skip_the_others_done_or_skip() -> None:
    assert actions_for(message("move")) == (
        ("break", "Taking a break"),
        ("snooze", "Snooze 10 min"),
        ("skip", "Skip"),
    )
    assert SNOOZE_S == 10 * MIN
    for kind in ("posture", "stretch", "hydrate", "breathe", "eyes"):
        assert [key for key, _ in actions_for(message(kind))] == ["done", "skip"]


def test_a_response_carries_what_the_store_needs_to_record_the_outcome() -> None:
    heard: list[PromptResponse] = []
    recorder = RecordingNotifier(on_response=heard.append)
    recorder.send(message("move", 2, due_t=T0 + 5))
    recorder.respond("snooze", t=T0 + 30)
    assert heard == [PromptResponse(T0 + 30, "move-test", "move", 2, T0 + 5, "snooze")]
    assert heard[0].outcome == "snoozed"


def test_without_a_session_bus_dbus_fails_cleanly_and_the_daemon_carries_on(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.delenv("DBUS_SESSION_BUS_ADDRESS", raising=False)
    with pytest.raises(NotifyError, match="no session bus"):
        DBusNotifier().send(message())
    clock = iter([0.0, 10.0, 400.0]).__next__
    resilient = ResilientNotifier(DBusNotifier(), clock=clock)
    caplog.set_level(logging.INFO, logger="sitbreak.notify")
    assert resilient.send(message()) is False
    assert resilient.send(message("move", 2)) is False  # not retried yet: no new warning
    assert resilient.send(message("move", 3)) is False  # retried after 5 minutes, failing
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert "cannot show notifications with dbus" in warnings[0].getMessage()
    logged = [r.getMessage() for r in caplog.records if r.getMessage().startswith("prompt (")]
    assert len(logged) == 3  # every prompt is at least in the log
    assert not resilient.healthy and resilient.failed == 3


def test_a_bus_address_that_leads_nowhere_is_a_notify_error(tmp_path: Path) -> None:
    notifier = DBusNotifier(f"unix:path={tmp_path / 'no-bus'}")
    with pytest.raises(NotifyError, match="cannot connect to the session bus"):
        notifier.send(message())


def test_auto_picks_dbus_with_a_session_bus_and_plyer_without(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("DBUS_SESSION_BUS_ADDRESS", raising=False)
    assert isinstance(make_notifier("auto"), PlyerNotifier)
    assert isinstance(make_notifier("dbus"), DBusNotifier)
    assert isinstance(make_notifier("log"), LogNotifier)
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent")
    assert isinstance(make_notifier("auto"), DBusNotifier)
    assert isinstance(make_notifier("plyer"), PlyerNotifier)


# ------------------------------------------------------------ on a desktop

# dunst rules that stamp the urgency dunst understood into what it stores, so
# `dunstctl history` shows it (dunst 1.9's history has no urgency field).
DUNSTRC = """\
[global]
    dmenu = {picker}
    markup = full
[sb_low]
    msg_urgency = low
    format = "low|%s"
[sb_normal]
    msg_urgency = normal
    format = "normal|%s"
[sb_critical]
    msg_urgency = critical
    format = "critical|%s"
"""

# dunst's context menu hands dmenu one line per button, "#Label (summary)
# [id,key]"; this one picks the line of the key written in `choice`.
PICKER = """\
#!/bin/sh
cat > "{dir}/menu.txt"
grep -m1 ",$(cat "{dir}/choice")]$" "{dir}/menu.txt"
"""


class Dunst:
    """A desktop with dunst, and a way to press a notification's buttons."""

    def __init__(self, d: Desktop, directory: Path) -> None:
        self.d = d
        self.dir = directory

    def press(self, key: str) -> None:
        """Press the button `key` on the latest notification, through dunst's menu."""
        (self.dir / "choice").write_text(key)
        self.d.dunstctl("context")

    def menu(self) -> str:
        path = self.dir / "menu.txt"
        return path.read_text() if path.exists() else ""

    def displayed(self) -> int:
        return int(self.d.dunstctl("count", "displayed"))

    def history(self) -> list[dict[str, object]]:
        """What dunst showed, newest first: {summary, message, body, timeout_s, id, icon_path}."""
        self.d.dunstctl("close-all")
        wait_for(lambda: self.displayed() == 0, what="dunst to close everything")
        rows = json.loads(self.d.dunstctl("history"))["data"][0]
        return [
            {
                "summary": r["summary"]["data"],
                "message": r["message"]["data"],
                "body": r["body"]["data"],
                "timeout_s": r["timeout"]["data"] / 1e6,  # dunst keeps microseconds
                "id": r["id"]["data"],
                "icon_path": r["icon_path"]["data"],
            }
            for r in rows
        ]


def dunst_config(directory: Path) -> Path:
    """A dunstrc (and its picker script) in `directory`."""
    picker = directory / "pick.sh"
    picker.write_text(PICKER.format(dir=directory))
    picker.chmod(0o755)
    rc = directory / "dunstrc"
    rc.write_text(DUNSTRC.format(picker=picker))
    return rc


@pytest.fixture
def dunst(tmp_path: Path) -> Iterator[Dunst]:
    with desktop(dunstrc=dunst_config(tmp_path)) as d:
        yield Dunst(d, tmp_path)


def next_response(responses: queue.Queue[PromptResponse]) -> PromptResponse:
    return responses.get(timeout=10)


def no_more(responses: queue.Queue[PromptResponse]) -> bool:
    time.sleep(0.5)  # time for a stray close signal to arrive
    return responses.empty()


@pytest.mark.desktop
def test_urgency_and_expiry_arrive_as_sent(dunst: Dunst) -> None:
    writer = PromptWriter(load_library())
    sent = [
        writer.write(PromptDue(T0, PromptKind.POSTURE, 1, 20 * MIN)),
        writer.write(PromptDue(T0, PromptKind.MOVE, 1, 30 * MIN)),
        writer.write(PromptDue(T0, PromptKind.MOVE, 4, 60 * MIN)),
        writer.write(PromptDue(T0, PromptKind.EYES, 1, 45 * MIN)),
    ]
    for m in sent:  # a notifier each, or they would replace one another
        n = DBusNotifier(dunst.d.bus.address)
        n.send(m)
        n.close()
    shown = {h["summary"]: h for h in dunst.history()}
    assert [(shown[m.title]["message"], shown[m.title]["timeout_s"]) for m in sent] == [
        (f"low|{sent[0].title}", 20.0),
        (f"normal|{sent[1].title}", 60.0),
        (f"critical|{sent[2].title}", 60.0),
        (f"low|{sent[3].title}", 30.0),
    ]


@pytest.mark.desktop
def test_a_prompt_shows_sitbreaks_own_icon(dunst: Dunst) -> None:
    # A peer's reminder carries its icon; ours must too, and one that exists.
    n = DBusNotifier(dunst.d.bus.address)
    n.send(PromptWriter(load_library()).write(PromptDue(T0, PromptKind.MOVE, 1, 30 * MIN)))
    n.close()
    [shown] = dunst.history()
    icon = Path(str(shown["icon_path"]))
    assert icon.name == "sitbreak.svg" and icon.is_file()
    assert "<svg" in icon.read_text()


@pytest.mark.desktop
def test_a_repeated_move_prompt_replaces_the_earlier_one(dunst: Dunst) -> None:
    writer = PromptWriter(load_library())
    notifier = DBusNotifier(dunst.d.bus.address)
    first = writer.write(PromptDue(T0, PromptKind.MOVE, 1, 30 * MIN))
    second = writer.write(PromptDue(T0 + 10 * MIN, PromptKind.MOVE, 2, 40 * MIN))
    notifier.send(first)
    wait_for(lambda: dunst.displayed() == 1, what="the first prompt on screen")
    notifier.send(second)
    time.sleep(0.3)
    assert dunst.displayed() == 1
    history = dunst.history()
    assert [h["summary"] for h in history] == [second.title]
    notifier.close()


@pytest.mark.desktop
def test_a_body_is_escaped_for_a_server_that_reads_markup(dunst: Dunst) -> None:
    notifier = DBusNotifier(dunst.d.bus.address)
    notifier.send(message(body="Tea & biscuits <3"))
    assert "body-markup" in notifier.capabilities
    (shown,) = dunst.history()
    assert shown["body"] == "Tea &amp; biscuits &lt;3"  # shown as "Tea & biscuits <3"
    notifier.close()


def engine_at_first_move_prompt() -> tuple[Engine, float, PromptDue]:
    """Someone typing every few seconds until the engine asks them to move."""
    engine = Engine(EngineSettings(enabled=frozenset({PromptKind.MOVE})))
    now = T0
    while True:
        due = [o for o in engine.activity(now) if isinstance(o, PromptDue)]
        if due:
            return engine, now, due[0]
        now += 5


@pytest.mark.desktop
def test_taking_a_break_reaches_the_callback_and_the_engine_ends_the_session_at_once(
    dunst: Dunst,
) -> None:
    responses: queue.Queue[PromptResponse] = queue.Queue()
    notifier = DBusNotifier(dunst.d.bus.address, on_response=responses.put)
    engine, now, due = engine_at_first_move_prompt()
    notifier.send(PromptWriter(load_library()).write(due))
    wait_for(lambda: dunst.displayed() == 1, what="the move prompt on screen")
    dunst.press("break")
    response = next_response(responses)
    assert (response.action, response.outcome) == ("break", "heeded")
    assert (response.kind, response.level, response.due_t) == ("move", 1, due.t)
    assert "Taking a break" in dunst.menu() and "Snooze 10 min" in dunst.menu()
    assert no_more(responses)  # the close that follows a button is not a second answer
    wait_for(lambda: dunst.displayed() == 0, what="the answered prompt to leave the screen")
    # The daemon feeds it to the engine as BreakNow: the session ends there and then.
    out: list[Output] = list(engine.handle(BreakNow(now + 2)))
    (ended,) = [o for o in out if isinstance(o, SessionEnded)]
    assert (ended.cause, ended.end) == (Cause.BREAK_NOW, now + 2)
    notifier.close()


@pytest.mark.desktop
def test_snooze_reaches_the_callback_and_the_next_move_prompt_comes_ten_minutes_later(
    dunst: Dunst,
) -> None:
    responses: queue.Queue[PromptResponse] = queue.Queue()
    notifier = DBusNotifier(dunst.d.bus.address, on_response=responses.put)
    engine, now, due = engine_at_first_move_prompt()
    notifier.send(PromptWriter(load_library()).write(due))
    wait_for(lambda: dunst.displayed() == 1, what="the move prompt on screen")
    dunst.press("snooze")
    response = next_response(responses)
    assert (response.action, response.outcome) == ("snooze", "snoozed")
    # The daemon feeds Snooze(SNOOZE_S); the next prompt comes when it ends.
    engine.handle(Snooze(now + 1, SNOOZE_S))
    prompts: list[PromptDue] = []
    t = now
    while not prompts:
        t += 5
        prompts = [o for o in engine.activity(t) if isinstance(o, PromptDue)]
    assert prompts[0].t - (now + 1) == pytest.approx(SNOOZE_S, abs=5)
    notifier.close()


@pytest.mark.desktop
def test_a_withdrawn_prompt_leaves_the_screen_and_is_nobodys_answer(dunst: Dunst) -> None:
    responses: queue.Queue[PromptResponse] = queue.Queue()
    notifier = DBusNotifier(dunst.d.bus.address, on_response=responses.put)
    _engine, _now, due = engine_at_first_move_prompt()
    notifier.send(PromptWriter(load_library()).write(due))
    wait_for(lambda: dunst.displayed() == 1, what="the move prompt on screen")
    notifier.withdraw()  # the session it was for has ended
    wait_for(lambda: dunst.displayed() == 0, what="the withdrawn prompt to leave the screen")
    assert no_more(responses)  # closed by sitbreak: not ignored, not expired
    notifier.close()


@pytest.mark.desktop
def test_skip_and_done_are_reported_for_what_they_are(dunst: Dunst) -> None:
    responses: queue.Queue[PromptResponse] = queue.Queue()
    notifier = DBusNotifier(dunst.d.bus.address, on_response=responses.put)
    notifier.send(message("move"))
    wait_for(lambda: dunst.displayed() == 1, what="the move prompt")
    dunst.press("skip")
    assert next_response(responses).outcome == "skipped"
    notifier.send(message("stretch", expire_s=45.0))
    wait_for(lambda: dunst.displayed() == 1, what="the stretch prompt")
    dunst.press("done")
    response = next_response(responses)
    assert (response.kind, response.action, response.outcome) == ("stretch", "done", "heeded")
    assert "[" in dunst.menu() and ",break]" not in dunst.menu()  # no break button on a stretch
    notifier.close()


@pytest.mark.desktop
def test_dismissed_and_expired_notifications_count_as_ignored(dunst: Dunst) -> None:
    responses: queue.Queue[PromptResponse] = queue.Queue()
    notifier = DBusNotifier(dunst.d.bus.address, on_response=responses.put)
    notifier.send(message("posture"))
    wait_for(lambda: dunst.displayed() == 1, what="the posture prompt")
    dunst.d.dunstctl("close")
    response = next_response(responses)
    assert (response.kind, response.action, response.outcome) == ("posture", "dismissed", "ignored")
    notifier.send(message("eyes", expire_s=1.0))
    response = next_response(responses)
    assert (response.kind, response.action, response.outcome) == ("eyes", "expired", "ignored")
    assert no_more(responses)
    notifier.close()


@pytest.mark.desktop
def test_without_a_listener_no_buttons_are_offered(dunst: Dunst) -> None:
    notifier = DBusNotifier(dunst.d.bus.address)
    notifier.send(message("move"))
    wait_for(lambda: dunst.displayed() == 1, what="the move prompt")
    dunst.press("break")
    time.sleep(0.5)
    assert ",break]" not in dunst.menu()
    assert dunst.displayed() == 1  # nothing was pressed: it is still there
    notifier.close()


@pytest.mark.desktop
def test_a_server_that_starts_late_or_restarts_is_followed_and_heard(tmp_path: Path) -> None:
    """No server: NotifyError. Then dunst, then another dunst (a new unique name):
    each time the prompt is shown with its buttons, and the answer is heard."""
    rc = dunst_config(tmp_path)
    with desktop(with_dunst=False) as d:
        responses: queue.Queue[PromptResponse] = queue.Queue()
        notifier = DBusNotifier(d.bus.address, on_response=responses.put)
        with pytest.raises(NotifyError):
            notifier.send(message())  # nobody owns the name and nothing can be activated
        helper = Dunst(d, tmp_path)
        for key in ("break", "snooze"):
            server = subprocess.Popen(
                ["dunst", "-config", str(rc)],
                env=d.env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            try:
                wait_for(
                    lambda: name_has_owner(d.env, "org.freedesktop.Notifications"),
                    what="dunst on the bus",
                )
                notifier.send(message())
                wait_for(lambda: helper.displayed() == 1, what="the prompt")
                helper.press(key)
                assert next_response(responses).action == key
            finally:
                server.terminate()
                server.wait(5)
            wait_for(
                lambda: not name_has_owner(d.env, "org.freedesktop.Notifications"),
                what="dunst gone",
            )
        notifier.close()


# ------------------------------------------ servers that behave otherwise


class BusPeer:
    """A connection to the private bus that can send Notifications signals."""

    def __init__(self, address: str) -> None:
        from jeepney.io.blocking import open_dbus_connection

        self.conn = open_dbus_connection(address)

    def emit(self, member: str, signature: str, body: tuple[object, ...], to: str = "") -> None:
        """A signal, broadcast unless addressed `to` one connection."""
        from jeepney import DBusAddress, HeaderFields, new_signal

        addr = DBusAddress(
            "/org/freedesktop/Notifications", interface="org.freedesktop.Notifications"
        )
        sig = new_signal(addr, member, signature, body)
        if to:
            sig.header.fields[HeaderFields.destination] = to
        self.conn.send(sig)


class FakeServer(BusPeer):
    """A notification server on the private bus that behaves like the others do.

    dunst sends its signals to the notification's sender only; notification-
    daemon and xfce4-notifyd broadcast them (so only a bus-side match rule
    brings them in), and GNOME Shell closes a notification after a button.
    `inhibited` set makes it KDE Plasma, with its Do Not Disturb property.
    `name` is what GetServerInformation says; `answer_twice` makes it mako
    1.7.1, which follows its reply with an UnknownMethod error for the same call.
    """

    def __init__(
        self,
        address: str,
        inhibited: bool | None = None,
        name: str = "fake",
        answer_twice: bool = False,
    ) -> None:
        super().__init__(address)
        self.inhibited = inhibited
        self.name = name
        self.answer_twice = answer_twice
        self.calls: list[tuple[str, tuple[object, ...]]] = []
        self.client: str | None = None
        self._stop = threading.Event()
        self._next_id = 7
        self._request_name()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _request_name(self) -> None:
        from jeepney import message_bus
        from jeepney.wrappers import unwrap_msg

        reply = self.conn.send_and_get_reply(
            message_bus.RequestName("org.freedesktop.Notifications"), timeout=5
        )
        assert unwrap_msg(reply) == (1,)  # primary owner

    def _serve(self) -> None:
        from jeepney import HeaderFields, MessageType, new_error, new_method_return

        while not self._stop.is_set():
            try:
                msg = self.conn.receive(timeout=0.1)
            except TimeoutError:
                continue
            if msg.header.message_type is not MessageType.method_call:
                continue
            member = msg.header.fields[HeaderFields.member]
            self.calls.append((member, msg.body))
            if member == "GetCapabilities":
                self.conn.send(new_method_return(msg, "as", (["actions", "body"],)))
                if self.answer_twice:
                    self.conn.send(new_error(msg, "org.freedesktop.DBus.Error.UnknownMethod"))
            elif member == "GetServerInformation":
                info = (self.name, "tests", "1.0", "1.2")
                self.conn.send(new_method_return(msg, "ssss", info))
            elif member == "Notify":
                self.client = msg.header.fields[HeaderFields.sender]
                self.conn.send(new_method_return(msg, "u", (self._next_id,)))
            elif member == "CloseNotification":
                self.conn.send(new_method_return(msg))
                self.emit("NotificationClosed", "uu", (msg.body[0], 3))
            elif member == "Get" and msg.body == ("org.freedesktop.Notifications", "Inhibited"):
                if self.inhibited is None:
                    self.conn.send(new_error(msg, "org.freedesktop.DBus.Error.InvalidArgs"))
                else:
                    self.conn.send(new_method_return(msg, "v", (("b", self.inhibited),)))
            else:
                self.conn.send(new_error(msg, "org.freedesktop.DBus.Error.UnknownMethod"))

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(5)
        self.conn.close()


@pytest.fixture
def fake_server() -> Iterator[tuple[FakeServer, str]]:
    with dbus_bus() as bus:
        server = FakeServer(bus.address)
        try:
            yield server, bus.address
        finally:
            server.stop()


@pytest.mark.desktop
def test_a_server_that_answers_twice_never_takes_the_notifier_down() -> None:
    with dbus_bus() as bus:
        server = FakeServer(bus.address, answer_twice=True)
        try:
            for _ in range(30):  # mako made 29 of 30 fresh connections fail
                responses: queue.Queue[PromptResponse] = queue.Queue()
                notifier = DBusNotifier(bus.address, on_response=responses.put)
                notifier.send(message("move"))
                notifier.send(message("move", level=2))
                assert server.client is not None
                # Still listening after the double answer: a button press is heard.
                server.emit("ActionInvoked", "us", (7, "break"), to=server.client)
                assert next_response(responses).action == "break"
                notifier.close()
        finally:
            server.stop()


@pytest.mark.desktop
def test_low_urgency_goes_out_as_normal_where_the_server_would_hide_it() -> None:
    """GNOME Shell shows no banner for urgency low; dunst and mako show it."""
    sent = {}
    for name in ("gnome-shell", "Plasma", "dunst", "mako"):
        with dbus_bus() as bus:
            server = FakeServer(bus.address, name=name)
            try:
                notifier = DBusNotifier(bus.address)
                notifier.send(message("posture", urgency=Urgency.LOW))
                notifier.send(message("move"))
                notifier.close()
                notified = [args for member, args in server.calls if member == "Notify"]
                sent[name] = [args[6]["urgency"][1] for args in notified]  # type: ignore[index]
            finally:
                server.stop()
    assert sent == {"gnome-shell": [1, 1], "Plasma": [1, 1], "dunst": [0, 1], "mako": [0, 1]}


@pytest.mark.desktop
def test_a_server_that_broadcasts_its_signals_is_heard(
    fake_server: tuple[FakeServer, str],
) -> None:
    server, address = fake_server
    responses: queue.Queue[PromptResponse] = queue.Queue()
    notifier = DBusNotifier(address, on_response=responses.put)
    notifier.send(message("move"))
    (notify_args,) = [args for member, args in server.calls if member == "Notify"]
    assert notify_args[5] == ["break", "Taking a break", "snooze", "Snooze 10 min", "skip", "Skip"]
    server.emit("ActionInvoked", "us", (7, "snooze"))  # broadcast: no destination
    assert next_response(responses).action == "snooze"
    notifier.close()


@pytest.mark.desktop
def test_only_the_notification_server_is_believed(fake_server: tuple[FakeServer, str]) -> None:
    server, address = fake_server
    responses: queue.Queue[PromptResponse] = queue.Queue()
    notifier = DBusNotifier(address, on_response=responses.put)
    notifier.send(message("move"))
    impostor = BusPeer(address)  # another connection, the same signal
    try:
        assert server.client is not None
        impostor.emit("ActionInvoked", "us", (7, "break"), to=server.client)
        assert no_more(responses)
    finally:
        impostor.conn.close()
    server.emit("ActionInvoked", "us", (8, "break"), to=server.client)  # not our id
    assert no_more(responses)
    server.emit("ActionInvoked", "us", (7, "default"), to=server.client)  # not offered
    assert no_more(responses)
    notifier.close()


@pytest.mark.desktop
def test_one_answer_per_prompt_and_an_answered_prompt_is_closed(
    fake_server: tuple[FakeServer, str],
) -> None:
    server, address = fake_server
    responses: queue.Queue[PromptResponse] = queue.Queue()
    notifier = DBusNotifier(address, on_response=responses.put)
    notifier.send(message("move"))
    assert server.client is not None
    # GNOME Shell: the button, then a close "dismissed by the user".
    server.emit("ActionInvoked", "us", (7, "break"), to=server.client)
    server.emit("NotificationClosed", "uu", (7, 2), to=server.client)
    assert next_response(responses).action == "break"
    assert no_more(responses)
    wait_for(
        lambda: ("CloseNotification", (7,)) in server.calls,
        what="sitbreak to close the answered notification",
    )
    # The next prompt has its own answer.
    notifier.send(message("move", 2))
    server.emit("NotificationClosed", "uu", (7, 1), to=server.client)
    assert next_response(responses).action == "expired"
    notifier.close()


def test_the_docstring_table_matches_the_mapping() -> None:
    doc = textwrap.dedent(notify.__doc__ or "")
    for action, outcome in OUTCOME_OF.items():
        line = next(ln for ln in doc.splitlines() if ln.strip().startswith(action + " "))
        assert line.rstrip().endswith(outcome), line
