"""Desktop notifications behind one small interface.

- `DBusNotifier`: org.freedesktop.Notifications over the session bus with
  jeepney (pure Python): app name, urgency, an expiry that fits the kind, and
  one notification replaced in place instead of a growing stack.
- `PlyerNotifier`: plyer, the portable fallback (macOS, Windows, Linux
  without a session bus).
- `LogNotifier`: writes the prompt to the log; what remains when nothing
  can show a notification.
- `RecordingNotifier`: the test double.

`ResilientNotifier` wraps one of them for the daemon: a failure is logged
once, the prompt is logged instead, and the backend is tried again later. A
notification can never take the daemon down.
"""

from __future__ import annotations

import contextlib
import logging
import os
import time
from typing import Any, Protocol

from sitbreak.errors import SitbreakError
from sitbreak.prompts import Message, Urgency

log = logging.getLogger("sitbreak.notify")

APP_NAME = "sitbreak"
_URGENCY_BYTE = {Urgency.LOW: 0, Urgency.NORMAL: 1, Urgency.CRITICAL: 2}
#: After a failure, wait this long before trying the backend again.
RETRY_AFTER_S = 300.0


class NotifyError(SitbreakError):
    """A notification could not be shown."""


class Notifier(Protocol):
    name: str

    def send(self, message: Message) -> None: ...

    def close(self) -> None: ...


class LogNotifier:
    name = "log"

    def send(self, message: Message) -> None:
        log.info("prompt (%s, level %d): %s", message.kind, message.level, message.as_text())

    def close(self) -> None:
        pass


class RecordingNotifier:
    """Keeps what it was asked to show; `fail` makes every send raise."""

    name = "recording"

    def __init__(self, fail: bool = False) -> None:
        self.sent: list[Message] = []
        self.fail = fail

    def send(self, message: Message) -> None:
        if self.fail:
            raise NotifyError("recording notifier told to fail")
        self.sent.append(message)

    def close(self) -> None:
        pass


class DBusNotifier:
    """The freedesktop notification server, spoken to directly with jeepney."""

    name = "dbus"

    def __init__(self, address: str | None = None) -> None:
        self._address = address
        self._conn: Any = None
        self._replaces = 0  # the id of our notification on screen, reused

    def _connection(self) -> Any:
        if self._conn is None:
            from jeepney.io.blocking import open_dbus_connection

            try:
                if self._address:
                    self._conn = open_dbus_connection(self._address)
                else:
                    if not os.environ.get("DBUS_SESSION_BUS_ADDRESS"):
                        raise NotifyError("no session bus (DBUS_SESSION_BUS_ADDRESS is not set)")
                    self._conn = open_dbus_connection("SESSION")
            except NotifyError:
                raise
            except Exception as exc:  # jeepney raises OSError, KeyError, ValueError...
                raise NotifyError(f"cannot connect to the session bus: {exc}") from exc
        return self._conn

    def send(self, message: Message) -> None:
        from jeepney import DBusAddress, new_method_call
        from jeepney.wrappers import DBusErrorResponse, unwrap_msg

        addr = DBusAddress(
            "/org/freedesktop/Notifications",
            bus_name="org.freedesktop.Notifications",
            interface="org.freedesktop.Notifications",
        )
        hints = {
            "urgency": ("y", _URGENCY_BYTE[message.urgency]),
            "category": ("s", "x-sitbreak.reminder"),
            "desktop-entry": ("s", APP_NAME),
        }
        expire_ms = int(message.expire_s * 1000)
        call = new_method_call(
            addr,
            "Notify",
            "susssasa{sv}i",
            (
                APP_NAME,
                self._replaces,
                "sitbreak",
                message.title,
                message.body,
                [],
                hints,
                expire_ms,
            ),
        )
        try:
            reply = self._connection().send_and_get_reply(call, timeout=5)
            (self._replaces,) = unwrap_msg(reply)
        except DBusErrorResponse as exc:
            raise NotifyError(f"the notification server refused: {exc}") from exc
        except NotifyError:
            raise
        except Exception as exc:  # the bus went away, timeouts, ...
            self.close()
            raise NotifyError(f"D-Bus notification failed: {exc}") from exc

    def close(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(OSError):
                self._conn.close()
            self._conn = None


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

    def close(self) -> None:
        pass


def make_notifier(kind: str = "auto") -> Notifier:
    """ "auto": D-Bus when a session bus is there, else plyer; or "dbus", "plyer", "log"."""
    if kind == "log":
        return LogNotifier()
    if kind == "plyer":
        return PlyerNotifier()
    if kind == "dbus" or os.environ.get("DBUS_SESSION_BUS_ADDRESS"):
        return DBusNotifier()
    return PlyerNotifier()


class ResilientNotifier:
    """Never raises: logs every prompt, reports a failing backend once, retries later."""

    def __init__(self, backend: Notifier, clock: Any = time.monotonic) -> None:
        self.backend = backend
        self._clock = clock
        self._failing_since: float | None = None
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
        self.delivered += 1
        return True

    def close(self) -> None:
        try:
            self.backend.close()
        except Exception:  # closing is best effort
            log.debug("error closing the notifier", exc_info=True)
