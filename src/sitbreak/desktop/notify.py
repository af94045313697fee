"""Desktop notifications behind one small interface.

- `DBusNotifier`: org.freedesktop.Notifications over the session bus with
  jeepney (pure Python): app name, urgency, an expiry that fits the kind, one
  notification replaced in place instead of a growing stack, and buttons
  ("Taking a break", "Snooze 10 min", "Skip") whose answers come back as
  `PromptResponse`s through an `on_response` callback.
- `PlyerNotifier`: plyer, the portable fallback (macOS, Windows, Linux
  without a session bus). No buttons.
- `LogNotifier`: writes the prompt to the log; what remains when nothing
  can show a notification.
- `RecordingNotifier`: the test double (it can play a person answering).

`ResilientNotifier` wraps one of them for the daemon: a failure is logged
once, the prompt is logged instead, and the backend is tried again later. A
notification can never take the daemon down.

How answers map to the outcome the store records (`store.OUTCOMES`):

    break     "Taking a break" (move prompts)       -> heeded
    done      "Done" (the other kinds)              -> heeded
    snooze    "Snooze 10 min" (move prompts)        -> snoozed
    skip      "Skip"                                -> skipped
    dismissed closed by the person without a button -> ignored
    expired   timed out on screen, nobody touched it -> ignored

A notification replaced by the next prompt, or closed by sitbreak itself,
gets no response: only what the person did is reported. sitbreak closes its
prompt itself (`withdraw`) when it no longer applies: the session it was for
ended, or the person got up and locked the screen.
"""

from __future__ import annotations

import contextlib
import html
import logging
import os
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any, Final, Literal, Protocol, get_args

from sitbreak.errors import SitbreakError
from sitbreak.prompts import Message, Urgency

log = logging.getLogger("sitbreak.notify")

APP_NAME = "sitbreak"


def app_icon() -> str:
    """The absolute path of sitbreak's own icon, which the notification spec lets
    servers show beside the prompt ("" when it is not a file on disk, as inside a
    zip: an icon name the theme lacks would show a broken image instead)."""
    from importlib import resources
    from pathlib import Path

    icon = resources.files("sitbreak") / "data" / "sitbreak.svg"
    return str(icon) if isinstance(icon, Path) and icon.is_file() else ""


_URGENCY_BYTE = {Urgency.LOW: 0, Urgency.NORMAL: 1, Urgency.CRITICAL: 2}
#: Servers that show no banner or popup for urgency "low" (GetServerInformation's
#: name): GNOME Shell files them silently in the message tray, KDE Plasma keeps
#: them out of popups by default. A prompt nobody sees is no prompt, so there
#: a "low" prompt goes out as "normal".
HIDES_LOW_URGENCY: Final = frozenset({"gnome-shell", "Plasma"})
#: After a failure, wait this long before trying the backend again.
RETRY_AFTER_S = 300.0
#: "Snooze 10 min" puts the next movement prompt off by this much (core Snooze).
SNOOZE_S = 600.0

ResponseAction = Literal["break", "done", "snooze", "skip", "dismissed", "expired"]
RESPONSE_ACTIONS: Final[tuple[str, ...]] = get_args(ResponseAction)

#: The buttons offered, (key, label), by prompt kind; "move" has its own.
MOVE_ACTIONS: Final = (("break", "Taking a break"), ("snooze", "Snooze 10 min"), ("skip", "Skip"))
OTHER_ACTIONS: Final = (("done", "Done"), ("skip", "Skip"))

#: The outcome (store.OUTCOMES) each response stands for.
OUTCOME_OF: Final[dict[str, str]] = {
    "break": "heeded",
    "done": "heeded",
    "snooze": "snoozed",
    "skip": "skipped",
    "dismissed": "ignored",
    "expired": "ignored",
}

#: Button keys, as the response they are.
_BUTTON_ACTIONS: Final[dict[str, ResponseAction]] = {
    "break": "break",
    "done": "done",
    "snooze": "snooze",
    "skip": "skip",
}

# org.freedesktop.Notifications, and its NotificationClosed reasons (spec 1.2).
_BUS_NAME = "org.freedesktop.Notifications"
_PATH = "/org/freedesktop/Notifications"
_CLOSED_EXPIRED, _CLOSED_DISMISSED = 1, 2
_CALL_TIMEOUT_S = 5.0


class NotifyError(SitbreakError):
    """A notification could not be shown."""


@dataclass(frozen=True, slots=True)
class PromptResponse:
    """What the person did with a prompt's notification.

    `t` is when the answer arrived (by the notifier's clock); `due_t` is the
    prompt's PromptDue.t, the key `store.set_prompt_outcome` needs.
    """

    t: float
    prompt_id: str
    kind: str
    level: int
    due_t: float | None
    action: ResponseAction

    @property
    def outcome(self) -> str:
        """heeded, snoozed, skipped or ignored: what the store records."""
        return OUTCOME_OF[self.action]

    @classmethod
    def to(cls, message: Message, action: ResponseAction, t: float) -> PromptResponse:
        return cls(t, message.prompt_id, message.kind, message.level, message.due_t, action)


OnResponse = Callable[[PromptResponse], None]


def urgency_on(server: str, urgency: Urgency) -> Urgency:
    """The urgency to ask `server` for, so the prompt is seen: see HIDES_LOW_URGENCY."""
    if urgency is Urgency.LOW and server in HIDES_LOW_URGENCY:
        return Urgency.NORMAL
    return urgency


def actions_for(message: Message) -> tuple[tuple[str, str], ...]:
    """The buttons a prompt gets: (key, label) pairs."""
    return MOVE_ACTIONS if message.kind == "move" else OTHER_ACTIONS


class Notifier(Protocol):
    name: str

    def send(self, message: Message) -> None: ...

    def withdraw(self) -> None:
        """Take the last prompt off the screen, if it is still there."""

    def close(self) -> None: ...


class LogNotifier:
    name = "log"

    def send(self, message: Message) -> None:
        log.info("prompt (%s, level %d): %s", message.kind, message.level, message.as_text())

    def withdraw(self) -> None:
        pass

    def close(self) -> None:
        pass


class RecordingNotifier:
    """Keeps what it was asked to show; `fail` makes every send raise.

    `respond(action)` plays a person answering the latest prompt, through
    the same `on_response` hook DBusNotifier calls.
    """

    name = "recording"

    def __init__(self, fail: bool = False, on_response: OnResponse | None = None) -> None:
        self.sent: list[Message] = []
        self.withdrawn: list[Message] = []  # the prompts taken off the screen
        self.fail = fail
        self.on_response = on_response

    def send(self, message: Message) -> None:
        if self.fail:
            raise NotifyError("recording notifier told to fail")
        self.sent.append(message)

    def respond(self, action: ResponseAction, t: float | None = None) -> PromptResponse:
        response = PromptResponse.to(self.sent[-1], action, time.time() if t is None else t)
        if self.on_response is not None:
            self.on_response(response)
        return response

    def withdraw(self) -> None:
        if self.sent and self.sent[-1] not in self.withdrawn:
            self.withdrawn.append(self.sent[-1])

    def close(self) -> None:
        pass


class _Replies:
    """Replies matched to the calls waiting for them: the first answer counts, later ones do not.

    Servers do send more than one answer to a call: mako 1.7.1 (Debian 12's)
    answers GetCapabilities with a reply and then an UnknownMethod error for
    the same serial. jeepney's own matcher hands the second one to a future
    that is already done, which raises InvalidStateError in the receiver
    thread and ends it; here an extra answer is dropped and noted.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._waiting: dict[int, Future[Any]] = {}
        self.extra = 0  # answers to calls that were already answered (or nobody waits for)

    @contextlib.contextmanager
    def catch(self, serial: int, future: Future[Any]) -> Iterator[Future[Any]]:
        with self._lock:
            self._waiting[serial] = future
        try:
            yield future
        finally:
            with self._lock:
                self._waiting.pop(serial, None)

    def dispatch(self, msg: Any) -> bool:
        """True if `msg` answers a call (ours, now or earlier): it is not a signal then."""
        from jeepney import HeaderFields

        serial = msg.header.fields.get(HeaderFields.reply_serial)
        if serial is None:
            return False
        with self._lock:
            future = self._waiting.pop(serial, None)
        if future is None or not _settle(future, result=msg):
            self.extra += 1
            log.debug("ignored an extra answer to call %s from %s", serial, _sender(msg))
        return True

    def drop_all(self, exc: Exception) -> None:
        """Every caller still waiting gets `exc` at once."""
        with self._lock:
            futures, self._waiting = list(self._waiting.values()), {}
        for future in futures:
            _settle(future, error=exc)


def _settle(future: Future[Any], result: Any = None, error: Exception | None = None) -> bool:
    """Give `future` its outcome unless it has one already; False if it had."""
    from concurrent.futures import InvalidStateError

    try:
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(result)
    except InvalidStateError:
        return False
    return True


def _sender(msg: Any) -> str:
    from jeepney import HeaderFields

    return str(msg.header.fields.get(HeaderFields.sender, "?"))


class _Link:
    """One session-bus connection: calls from any thread, signals to a handler.

    dunst (like GNOME Shell) sends ActionInvoked and NotificationClosed only to
    the connection the notification came from, so signals must be read off
    the very connection Notify went out on: one receiver thread owns all
    reading, hands replies to the callers waiting for them and signals to
    `on_signal` (on that thread). Only a broken connection ends that thread:
    whatever a server sends, an odd message is dropped and the next one read.
    """

    def __init__(self, address: str, on_signal: Callable[[Any], None]) -> None:
        from jeepney.io.threading import open_dbus_connection

        self._conn = open_dbus_connection(address)
        self._replies = _Replies()
        self._on_signal = on_signal
        self._closing = False
        self._thread = threading.Thread(target=self._receive, name="sitbreak-notify", daemon=True)
        self._thread.start()

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()

    @property
    def extra_answers(self) -> int:
        return self._replies.extra

    def call(self, message: Any) -> Any:
        """Send a method call and return its reply's body; raises DBusErrorResponse."""
        from jeepney.wrappers import unwrap_msg

        return unwrap_msg(self.call_raw(message))

    def send_only(self, message: Any) -> None:
        """Send without waiting for a reply: safe on the receiver thread itself."""
        from jeepney import MessageFlag

        message.header.flags |= MessageFlag.no_reply_expected
        self._conn.send(message)

    def call_raw(self, message: Any) -> Any:
        if not self.alive:
            raise NotifyError("the session bus connection was lost")
        serial = next(self._conn.outgoing_serial)
        future: Future[Any] = Future()
        with self._replies.catch(serial, future):
            self._conn.send(message, serial=serial)
            return future.result(timeout=_CALL_TIMEOUT_S)

    def _receive(self) -> None:
        from jeepney.io.threading import ReceiveStopped

        lost: Exception = NotifyError("the session bus connection was closed")
        try:
            while True:
                msg = self._conn.receive()
                try:
                    self._handle(msg)
                except Exception:  # one odd message must not end the listener
                    log.debug("ignored a message from %s", _sender(msg), exc_info=True)
        except ReceiveStopped:
            pass  # close() was called
        except Exception as exc:  # the bus went away: reconnect on the next send
            lost = NotifyError(f"lost the session bus connection: {exc}")
            if not self._closing:
                log.info("lost the session bus connection for notifications: %s", exc)
        finally:
            self._replies.drop_all(lost)  # callers still waiting get an error at once

    def _handle(self, msg: Any) -> None:
        from jeepney import MessageType

        if self._replies.dispatch(msg):
            return
        if msg.header.message_type is MessageType.signal:
            self._on_signal(msg)

    def close(self) -> None:
        self._closing = True
        with contextlib.suppress(OSError):
            self._conn.close()  # wakes the receiver, which then ends
        if threading.current_thread() is not self._thread:
            self._thread.join(timeout=2)


class DBusNotifier:
    """The freedesktop notification server, spoken to directly with jeepney.

    With `on_response`, prompts get buttons (when the server says it has
    "actions") and `on_response(PromptResponse)` is called, on the notifier's
    own thread, when the person presses one, dismisses the notification, or
    lets it expire. Hand it over to your own loop (a queue) rather than doing
    the work there.
    """

    name = "dbus"

    def __init__(
        self,
        address: str | None = None,
        on_response: OnResponse | None = None,
        *,
        actions: bool | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._address = address
        self._on_response = on_response
        # Buttons nobody listens to would do nothing when pressed.
        self._want_actions = on_response is not None if actions is None else actions
        self._clock = clock
        self._link: _Link | None = None
        self._caps: frozenset[str] = frozenset()
        self._server_name = ""  # GetServerInformation's name: "gnome-shell", "mako", ...
        self._server: str | None = None  # the server's unique bus name
        self._match: Any = None  # our bus-side match rule for its signals
        self._lock = threading.Lock()  # guards what the receiver thread reads
        self._replaces = 0  # the id of our notification on screen, reused
        self._shown: Message | None = None  # the prompt under that id
        self._offered: frozenset[str] = frozenset()  # its buttons' keys
        self._answered = True  # whether it has had its response

    @property
    def capabilities(self) -> frozenset[str]:
        return self._caps

    @property
    def server_name(self) -> str:
        return self._server_name

    # ------------------------------------------------------------ sending

    def send(self, message: Message) -> None:
        from jeepney.wrappers import DBusErrorResponse, unwrap_msg

        try:
            link = self._connect()
            actions = actions_for(message) if "actions" in self._caps else ()
            if not self._want_actions:
                actions = ()
            reply = link.call_raw(self._notify_call(message, actions))
            self._note_server(link, reply)
            (notification_id,) = unwrap_msg(reply)
        except DBusErrorResponse as exc:
            raise NotifyError(f"the notification server refused: {exc}") from exc
        except NotifyError:
            self.close()
            raise
        except Exception as exc:  # the bus went away, timeouts, ...
            self.close()
            raise NotifyError(f"D-Bus notification failed: {exc}") from exc
        with self._lock:
            self._replaces = notification_id
            self._shown = message
            self._offered = frozenset(key for key, _ in actions)
            self._answered = False

    def _notify_call(self, message: Message, actions: tuple[tuple[str, str], ...]) -> Any:
        from jeepney import DBusAddress, new_method_call

        addr = DBusAddress(_PATH, bus_name=_BUS_NAME, interface=_BUS_NAME)
        hints = {
            "urgency": ("y", _URGENCY_BYTE[urgency_on(self._server_name, message.urgency)]),
            "category": ("s", "x-sitbreak.reminder"),
            "desktop-entry": ("s", APP_NAME),
        }
        body = message.body
        if "body-markup" in self._caps:
            # Such servers read the body as markup: "&" or "<" would break it.
            body = html.escape(body, quote=False)
        return new_method_call(
            addr,
            "Notify",
            "susssasa{sv}i",
            (
                APP_NAME,
                self._replaces,
                app_icon(),
                message.title,
                body,
                [text for pair in actions for text in pair],
                hints,
                int(message.expire_s * 1000),
            ),
        )

    def _connect(self) -> _Link:
        if self._link is not None and self._link.alive:
            return self._link
        self.close()
        address = self._address
        if not address:
            if not os.environ.get("DBUS_SESSION_BUS_ADDRESS"):
                raise NotifyError("no session bus (DBUS_SESSION_BUS_ADDRESS is not set)")
            address = "SESSION"
        try:
            link = _Link(address, self._on_signal)
        except Exception as exc:  # jeepney raises OSError, KeyError, ValueError...
            raise NotifyError(f"cannot connect to the session bus: {exc}") from exc
        try:
            # Without a server (none running yet) this fails: the link is only
            # kept once the server's abilities are known, or the next prompt
            # would go out without buttons.
            self._caps = self._get_capabilities(link)
            self._server_name = self._get_server_name(link)
        except BaseException:
            link.close()
            raise
        self._link = link
        self._note_server(link, None)
        return link

    def _get_server_name(self, link: _Link) -> str:
        """The server's name, or "" if it will not say (then urgencies go out as they are)."""
        from jeepney import DBusAddress, new_method_call
        from jeepney.wrappers import DBusErrorResponse

        addr = DBusAddress(_PATH, bus_name=_BUS_NAME, interface=_BUS_NAME)
        try:
            name, *_rest = link.call(new_method_call(addr, "GetServerInformation"))
        except (DBusErrorResponse, NotifyError, TimeoutError, ValueError) as exc:
            log.debug("the notification server gave no information: %s", exc)
            return ""
        return str(name)

    def _get_capabilities(self, link: _Link) -> frozenset[str]:
        from jeepney import DBusAddress, new_method_call

        addr = DBusAddress(_PATH, bus_name=_BUS_NAME, interface=_BUS_NAME)
        (caps,) = link.call(new_method_call(addr, "GetCapabilities"))
        return frozenset(caps)

    def _note_server(self, link: _Link, reply: Any) -> None:
        """Follow the server's unique name (it changes when the server restarts).

        Signals come from the unique name, never the well-known one, so both
        our check of the sender and the bus-side match rule (needed by servers
        that broadcast their signals) use it: from GetNameOwner at first, then
        from the sender of each Notify reply.
        """
        from jeepney import HeaderFields, MatchRule, message_bus
        from jeepney.wrappers import DBusErrorResponse

        if reply is not None:
            owner = reply.header.fields.get(HeaderFields.sender)
        else:
            try:
                (owner,) = link.call(message_bus.GetNameOwner(_BUS_NAME))
            except DBusErrorResponse:
                return  # not running yet (D-Bus activates it on Notify)
        if not owner or owner == self._server:
            return
        rule = MatchRule(type="signal", sender=owner, interface=_BUS_NAME, path=_PATH)
        try:
            if self._match is not None:
                link.call(message_bus.RemoveMatch(self._match))
            link.call(message_bus.AddMatch(rule))
        except DBusErrorResponse as exc:
            log.debug("could not add a match rule for notification signals: %s", exc)
        with self._lock:
            self._server, self._match = owner, rule

    # ---------------------------------------------------------- listening

    def _on_signal(self, msg: Any) -> None:
        """On the receiver thread: turn the server's signals into responses."""
        from jeepney import HeaderFields

        fields = msg.header.fields
        if (
            fields.get(HeaderFields.interface) != _BUS_NAME
            or fields.get(HeaderFields.path) != _PATH
            or fields.get(HeaderFields.sender) != self._server
        ):
            return  # not our notification server speaking
        member = fields.get(HeaderFields.member)
        action: ResponseAction | None = None
        if member == "ActionInvoked":
            notification_id, key = msg.body
            action = self._offered_action(key)
        elif member == "NotificationClosed":
            notification_id, reason = msg.body
            if reason == _CLOSED_EXPIRED:
                action = "expired"
            elif reason == _CLOSED_DISMISSED:
                action = "dismissed"
            # 3 (closed by a CloseNotification call) and 4 (undefined) are
            # not the person's doing: nothing to report.
        if action is not None:
            self._respond(notification_id, action)

    def _offered_action(self, key: str) -> ResponseAction | None:
        # Only the buttons we offered: GNOME, for one, sends "default" on a
        # click on the body, which is followed by a close (reported as such).
        return _BUTTON_ACTIONS.get(key) if key in self._offered else None

    def _respond(self, notification_id: int, action: ResponseAction) -> None:
        with self._lock:
            # One response per prompt: a button press is followed by a close.
            # (An answer to a prompt that was just replaced by the next one,
            # under the same id, is taken for the new one: a rare race.)
            message = self._shown
            if message is None or self._answered or notification_id != self._replaces:
                return
            self._answered = True
        log.info("prompt %s (%s): %s", message.prompt_id, message.kind, action)
        if action in _BUTTON_ACTIONS.values():
            self._close_answered(notification_id)
        if self._on_response is None:
            return
        try:
            self._on_response(PromptResponse.to(message, action, self._clock()))
        except Exception:  # the daemon's bug must not end the listener
            log.exception("the prompt response handler failed")

    def withdraw(self) -> None:
        """Close our prompt if it is still up and unanswered (the server then
        reports it closed by us, which is nobody's answer)."""
        with self._lock:
            notification_id = self._replaces if not self._answered else 0
            self._answered = True
        if notification_id:
            self._close_answered(notification_id)

    def _close_answered(self, notification_id: int) -> None:
        # Some servers (dunst) leave a notification up after a button press:
        # an answered "please get up now" must not stay on screen.
        from jeepney import DBusAddress, new_method_call

        link = self._link
        if link is None:
            return
        addr = DBusAddress(_PATH, bus_name=_BUS_NAME, interface=_BUS_NAME)
        try:
            link.send_only(new_method_call(addr, "CloseNotification", "u", (notification_id,)))
        except Exception as exc:  # it expires anyway
            log.debug("could not close the answered notification: %s", exc)

    def close(self) -> None:
        link, self._link = self._link, None
        self._server = self._match = None
        if link is not None:
            link.close()


class PlyerNotifier:
    name = "plyer"

    def send(self, message: Message) -> None:
        try:
            from plyer import notification

            notification.notify(
                title=message.title,
                message=message.body,
                app_name=APP_NAME,
                timeout=max(1, int(message.expire_s)),
            )
        except Exception as exc:  # plyer raises NotImplementedError, OSError, ...
            raise NotifyError(f"plyer could not notify: {exc}") from exc

    def withdraw(self) -> None:
        pass  # plyer cannot take a notification back; it expires

    def close(self) -> None:
        pass


def make_notifier(kind: str = "auto", on_response: OnResponse | None = None) -> Notifier:
    """ "auto": D-Bus when a session bus is there, else plyer; or "dbus", "plyer", "log".

    `on_response` hears the person's answers where the backend can tell (D-Bus).
    """
    if kind == "log":
        return LogNotifier()
    if kind == "plyer":
        return PlyerNotifier()
    if kind == "dbus" or os.environ.get("DBUS_SESSION_BUS_ADDRESS"):
        return DBusNotifier(on_response=on_response)
    return PlyerNotifier()


class ResilientNotifier:
    """Never raises: logs every prompt, reports a failing backend once, retries later."""

    def __init__(self, backend: Notifier, clock: Any = time.monotonic) -> None:
        self.backend = backend
        self._clock = clock
        self._failing_since: float | None = None
        #: Why notifications cannot be shown, while they cannot.
        self.problem: str | None = None
        self._retry_at = 0.0
        self.delivered = 0
        self.failed = 0

    @property
    def healthy(self) -> bool:
        return self._failing_since is None

    def send(self, message: Message) -> bool:
        """True if shown on the desktop, False if only logged."""
        log.info("prompt (%s, level %d): %s", message.kind, message.level, message.as_text())
        now = self._clock()
        if self._failing_since is not None and now < self._retry_at:
            self.failed += 1
            return False
        try:
            self.backend.send(message)
        except Exception as exc:  # any backend, any failure: never fatal
            self.failed += 1
            self._retry_at = now + RETRY_AFTER_S
            self.problem = f"{self.backend.name}: {exc}"
            if self._failing_since is None:
                self._failing_since = now
                log.warning(
                    "cannot show notifications with %s (%s); prompts are logged instead, "
                    "will retry every %d min",
                    self.backend.name,
                    exc,
                    RETRY_AFTER_S // 60,
                )
            return False
        if self._failing_since is not None:
            log.warning("notifications work again with %s", self.backend.name)
            self._failing_since = None
            self.problem = None
        self.delivered += 1
        return True

    def withdraw(self) -> None:
        try:
            self.backend.withdraw()
        except Exception:  # it expires anyway
            log.debug("could not withdraw the prompt", exc_info=True)

    def close(self) -> None:
        try:
            self.backend.close()
        except Exception:  # closing is best effort
            log.debug("error closing the notifier", exc_info=True)
