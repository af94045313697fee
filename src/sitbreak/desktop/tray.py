"""The tray icon: a StatusNotifierItem with a com.canonical.dbusmenu menu, over jeepney.

Panels that show StatusNotifierItems (KDE Plasma, Xfce's status tray,
Cinnamon, waybar's tray, GNOME with the AppIndicator extension) run a
``org.kde.StatusNotifierWatcher``; the daemon registers an item with it and
serves the item and its menu from the daemon's process, with no GTK or Qt.

The icon shows how far into the sitting limit the session is: a themed icon
name for the step it is at (`sitbreak-sitting-0` … `-100`, `sitbreak-paused`,
`sitbreak-away`, shipped in sitbreak/data and named to the panel with
IconThemePath) and the same drawn as an ARGB pixmap, for panels that draw
pixmaps. The tooltip says "Sitting 34 min · next: stand up at 11:05". The
menu: Taking a break, Snooze 10 min, Pause 30 min / 1 h / until tomorrow,
Resume, Today's report, Settings.

It changes when what it shows changes: the step, the state or the tooltip's
text, which moves once a minute at most (whole minutes). No timer of its own:
it is a publisher, handed the status by the daemon's loop (docs/dbus-api.md).
Where no watcher is there it waits, signal-driven, for one to appear (a panel
that starts after sitbreak, or restarts).
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import os
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from sitbreak.desktop.dbus import HAVE_JEEPNEY, PROPERTIES
from sitbreak.desktop.dbus_api import BusService, properties_reply
from sitbreak.desktop.dbus_client import name_owner_changed

if HAVE_JEEPNEY:
    from jeepney import (
        DBusAddress,
        HeaderFields,
        Message,
        MessageType,
        message_bus,
        new_error,
        new_method_call,
        new_method_return,
        new_signal,
    )

if TYPE_CHECKING:
    from sitbreak.core import Output

log = logging.getLogger("sitbreak.tray")

WATCHER: Final = "org.kde.StatusNotifierWatcher"
WATCHER_PATH: Final = "/StatusNotifierWatcher"
ITEM_INTERFACE: Final = "org.kde.StatusNotifierItem"
ITEM_PATH: Final = "/StatusNotifierItem"
MENU_INTERFACE: Final = "com.canonical.dbusmenu"
MENU_PATH: Final = "/MenuBar"
SHOW_CHOICES: Final = ("auto", "true", "false")
_UNKNOWN_METHOD: Final = "org.freedesktop.DBus.Error.UnknownMethod"
_INVALID_ARGS: Final = "org.freedesktop.DBus.Error.InvalidArgs"
#: Where the themed icons are (IconThemePath): sitbreak/data.
ICON_DIR: Final = Path(__file__).resolve().parents[1] / "data"
#: The drawn icon's progress is sent at most this often (a change of step or state: at once).
ICON_EVERY_S: Final = 60.0
#: Sizes of the drawn icon (panels pick the nearest).
PIXMAP_SIZES: Final = (16, 22, 32, 48)

# ------------------------------------------------------------ what it shows


@dataclass(frozen=True, slots=True)
class TrayView:
    """What the icon shows: made by the daemon's wiring from the status."""

    #: sitting, idle, away, locked, suspended, paused, over-limit or not-running.
    css_class: str
    percentage: int
    tooltip: str
    paused: bool
    snoozed: bool = False

    @property
    def resumable(self) -> bool:
        """A pause or a snooze holds the prompts: the menu's Resume ends either."""
        return self.paused or self.snoozed


def icon_step(view: TrayView) -> str:
    """The themed icon's name for this view: 0, 25, 50, 75, 100 % into the limit."""
    if view.paused:
        return "sitbreak-paused"
    if view.css_class in ("away", "locked", "suspended", "not-running"):
        return "sitbreak-away"
    step = 100 if view.css_class == "over-limit" else min(100, 25 * (view.percentage // 25))
    return f"sitbreak-sitting-{step}"


#: Colours (ARGB) of the drawn icon.
_RING = (0xFF, 0x9A, 0x9A, 0x9A)
_FILL = (0xFF, 0x4C, 0xAF, 0x50)
_OVER = (0xFF, 0xE0, 0x6C, 0x75)
_PAUSE = (0xFF, 0x88, 0x88, 0x88)


def draw_pixmap(size: int, percentage: int, *, over: bool, paused: bool) -> bytes:
    """An ARGB32 icon, network byte order (the StatusNotifierItem format):
    a ring filled clockwise from the top as far as the session is into the limit,
    red once over it; two bars when paused."""
    out = bytearray(size * size * 4)
    c = (size - 1) / 2
    outer, inner = size / 2 - 0.5, size / 2 - max(1.5, size / 7)
    fraction = 1.0 if over else max(0.0, min(1.0, percentage / 100))
    fill = _OVER if over else _FILL
    for y in range(size):
        for x in range(size):
            dx, dy = x - c, y - c
            r = math.hypot(dx, dy)
            colour: tuple[int, int, int, int] | None = None
            if paused:
                bar = size / 6
                if abs(abs(dx) - size / 6) <= bar / 2 + 0.01 and abs(dy) <= size / 3.2:
                    colour = _PAUSE
                elif inner <= r <= outer:
                    colour = _RING
            elif r <= outer:
                # Angle from 12 o'clock, clockwise, 0..1.
                angle = (math.atan2(dx, -dy) / (2 * math.pi)) % 1.0
                if r >= inner:
                    colour = fill if angle <= fraction and fraction > 0 else _RING
                elif angle <= fraction and fraction > 0:
                    _alpha, red, green, blue = fill
                    colour = (0x60, red, green, blue)  # the filled part, lighter inside
            if colour is not None:
                i = (y * size + x) * 4
                out[i : i + 4] = bytes(colour)
    return bytes(out)


# ------------------------------------------------------------ the menu

#: id -> (label, what it asks the daemon); None: a separator.
_Action = Callable[[], None]


@dataclass(frozen=True, slots=True)
class MenuItem:
    id: int
    label: str
    #: The request for the daemon ({"cmd": ...}), or a name of the wiring's own actions.
    request: Mapping[str, Any] | None = None
    action: str | None = None
    separator: bool = False
    #: Shown enabled only while paused or snoozed (Resume).
    when_resumable: bool = False


def seconds_to_midnight(now: float, tz: dt.tzinfo) -> float:
    """'Pause until tomorrow': until the next local midnight."""
    local = dt.datetime.fromtimestamp(now, tz)
    tomorrow = dt.datetime.combine(local.date() + dt.timedelta(days=1), dt.time(), tz)
    return max(60.0, tomorrow.timestamp() - now)


MENU: Final = (
    MenuItem(1, "Taking a break", {"cmd": "break"}),
    MenuItem(2, "Snooze 10 min", {"cmd": "snooze", "seconds": 600}),
    MenuItem(3, "", separator=True),
    MenuItem(4, "Pause 30 min", {"cmd": "pause", "seconds": 1800}),
    MenuItem(5, "Pause 1 h", {"cmd": "pause", "seconds": 3600}),
    MenuItem(6, "Pause until tomorrow", action="pause-until-tomorrow"),
    MenuItem(7, "Resume", {"cmd": "resume"}, when_resumable=True),
    MenuItem(8, "", separator=True),
    MenuItem(9, "Today's report", action="report"),
    MenuItem(10, "Settings", action="settings"),
)


# ------------------------------------------------------------ the item


class TrayIcon(BusService):
    """The daemon's tray icon (a publisher: `start`, `publish`, `stop`).

    `describe` turns the status into a `TrayView` (the daemon's wiring passes
    the status bars' own view, so the tooltip reads as they do); `actions`
    holds what the menu does besides requests: "report" (write today's HTML
    report and open it) and "settings" (open the config file). `show` is the
    config's `[tray] show`: "auto" shows it where a watcher is, "true" also
    says loudly when none is, "false" never shows it.
    """

    name = "the tray icon"
    what = "tray icon"

    def __init__(
        self,
        address: str | None,
        *,
        show: str,
        describe: Callable[[Mapping[str, Any] | None, float], TrayView],
        actions: Mapping[str, _Action],
        tz: Callable[[], dt.tzinfo],
        clock: Callable[[], float],
    ) -> None:
        super().__init__(address)
        self.show = show
        self._describe = describe
        self._actions = dict(actions)
        self._tz = tz
        self._clock = clock
        self._handler: Callable[[Mapping[str, Any]], dict[str, Any]] | None = None
        self._lock = threading.Lock()
        self._view: TrayView | None = None
        self._revision = 1
        self._icon_sent = 0.0
        self._bus_name = f"org.kde.StatusNotifierItem-{os.getpid()}-1"
        self.registered = False
        self.why_not = "not started"

    # -- lifecycle

    def start(self, handler: Callable[[Mapping[str, Any]], dict[str, Any]]) -> None:
        self._handler = handler
        if self.show == "false":
            self.why_not = "[tray] show = false"
            return
        if not self.open(self._bus_name):
            self.why_not = "no session bus"
            return
        # Wait for a watcher to come (or come back) by its signal, never by polling.
        self.call(message_bus.AddMatch(name_owner_changed(WATCHER)))
        has = self.call(message_bus.NameHasOwner(WATCHER))
        if has is not None and has.body and has.body[0]:
            self._register()
        else:
            self.why_not = (
                f"no {WATCHER} on the session bus: this desktop shows no tray items "
                "(GNOME needs the AppIndicator extension)"
            )
            level = logging.WARNING if self.show == "true" else logging.INFO
            log.log(level, "no tray icon yet: %s; it appears when a panel offers one", self.why_not)

    def _register(self) -> None:
        reply = self.call(
            new_method_call(
                DBusAddress(WATCHER_PATH, WATCHER, WATCHER),
                "RegisterStatusNotifierItem",
                "s",
                (self._bus_name,),
            )
        )
        if reply is None or reply.header.message_type == MessageType.error:
            self.why_not = f"{WATCHER} refused the item"
            log.warning("tray icon: %s (%s)", self.why_not, reply and reply.body)
            return
        self.registered = True
        self.why_not = ""
        log.info("tray icon shown (registered with %s)", WATCHER)

    def _signal(self, msg: Message) -> None:
        if msg.header.fields.get(HeaderFields.member) != "NameOwnerChanged":
            return
        _name, _old, new = msg.body
        if new:
            # On the reading thread: register from another, which waits for the answer.
            threading.Thread(target=self._register, name="sitbreak-tray", daemon=True).start()
        else:
            self.registered = False
            self.why_not = f"the panel's {WATCHER} went away"

    # -- the loop's side

    def publish(self, now: float, status: Mapping[str, Any], outputs: Sequence[Output]) -> None:
        view = self._describe(status, now)
        with self._lock:
            before, self._view = self._view, view
        if before is None:
            self._icon_sent = now  # what a panel fetches first is this
        if before is None or self._conn is None:
            return
        stepped = icon_step(before) != icon_step(view) or before.css_class != view.css_class
        # The drawn ring moves in 5 % steps; a panel hears of those once a minute at most.
        drawn = before.percentage != view.percentage and now - self._icon_sent >= ICON_EVERY_S
        if stepped or drawn:
            self._icon_sent = now
            self.send(new_signal(_item(), "NewIcon"))
        if before.tooltip != view.tooltip:
            self.send(new_signal(_item(), "NewToolTip"))
        if before.resumable != view.resumable:  # Resume is enabled only while paused or snoozed
            with self._lock:
                self._revision += 1
                revision = self._revision
            self.send(
                new_signal(
                    DBusAddress(MENU_PATH, interface=MENU_INTERFACE),
                    "LayoutUpdated",
                    "ui",
                    (revision, 0),
                )
            )

    # -- the bus thread

    def _answer(self, msg: Message) -> Message:
        fields = msg.header.fields
        path = fields.get(HeaderFields.path, "")
        interface = fields.get(HeaderFields.interface)
        member = fields.get(HeaderFields.member, "")
        if interface == "org.freedesktop.DBus.Introspectable" and member == "Introspect":
            return new_method_return(msg, "s", (_introspection(path),))
        if path == ITEM_PATH:
            if interface == PROPERTIES:
                return properties_reply(msg, {ITEM_INTERFACE: self._item_properties()})
            if member in ("Activate", "SecondaryActivate", "ContextMenu", "Scroll"):
                return new_method_return(msg)  # the menu is the item (ItemIsMenu)
        if path == MENU_PATH:
            if interface == PROPERTIES:
                return properties_reply(msg, {MENU_INTERFACE: _MENU_PROPERTIES})
            return self._menu_call(msg, member)
        return new_error(msg, _UNKNOWN_METHOD, "s", (f"no {interface}.{member} at {path}",))

    def _item_properties(self) -> dict[str, tuple[str, Any]]:
        with self._lock:
            view = self._view
        view = view or self._describe(None, self._clock())
        pixmaps = [
            (
                size,
                size,
                draw_pixmap(
                    size,
                    view.percentage,
                    over=view.css_class == "over-limit",
                    paused=view.paused,
                ),
            )
            for size in PIXMAP_SIZES
        ]
        return {
            "Category": ("s", "ApplicationStatus"),
            "Id": ("s", "sitbreak"),
            "Title": ("s", "sitbreak"),
            "Status": ("s", "NeedsAttention" if view.css_class == "over-limit" else "Active"),
            "WindowId": ("i", 0),
            "IconThemePath": ("s", str(ICON_DIR)),
            "IconName": ("s", icon_step(view)),
            "IconPixmap": ("a(iiay)", pixmaps),
            "AttentionIconName": ("s", icon_step(view)),
            "AttentionIconPixmap": ("a(iiay)", pixmaps),
            "OverlayIconName": ("s", ""),
            "OverlayIconPixmap": ("a(iiay)", []),
            "AttentionMovieName": ("s", ""),
            "ToolTip": ("(sa(iiay)ss)", (icon_step(view), [], "sitbreak", view.tooltip)),
            "ItemIsMenu": ("b", True),
            "Menu": ("o", MENU_PATH),
        }

    # -- com.canonical.dbusmenu

    def _menu_call(self, msg: Message, member: str) -> Message:
        signature = msg.header.fields.get(HeaderFields.signature, "")
        if member == "GetLayout" and signature == "iias":
            parent, _depth, _names = msg.body
            with self._lock:
                revision = self._revision
            return new_method_return(msg, "u(ia{sv}av)", (revision, self._layout(parent)))
        if member == "GetGroupProperties" and signature == "aias":
            ids, _names = msg.body
            wanted = [i for i in ids if i in self._items()] or list(self._items())
            return new_method_return(msg, "a(ia{sv})", ([(i, self._items()[i]) for i in wanted],))
        if member == "GetProperty" and signature == "is":
            item, name = msg.body
            props = self._items().get(item, {})
            if name not in props:
                return new_error(msg, _INVALID_ARGS, "s", (f"no property {name} on {item}",))
            return new_method_return(msg, "v", (props[name],))
        if member == "Event" and signature == "isvu":
            item, event, _data, _timestamp = msg.body
            if event == "clicked":
                self._clicked(item)
            return new_method_return(msg)
        if member == "EventGroup" and signature == "a(isvu)":
            (events,) = msg.body
            unknown = [e[0] for e in events if e[0] not in self._items()]
            for item, event, _data, _timestamp in events:
                if event == "clicked":
                    self._clicked(item)
            return new_method_return(msg, "ai", (unknown,))
        if member == "AboutToShow" and signature == "i":
            return new_method_return(msg, "b", (False,))
        if member == "AboutToShowGroup" and signature == "ai":
            return new_method_return(msg, "aiai", ([], []))
        return new_error(msg, _UNKNOWN_METHOD, "s", (f"{MENU_INTERFACE}.{member}({signature})",))

    def _items(self) -> dict[int, dict[str, tuple[str, Any]]]:
        with self._lock:
            resumable = bool(self._view and self._view.resumable)
        items: dict[int, dict[str, tuple[str, Any]]] = {}
        for m in MENU:
            if m.separator:
                items[m.id] = {"type": ("s", "separator"), "visible": ("b", True)}
            else:
                enabled = resumable if m.when_resumable else True
                items[m.id] = {
                    "label": ("s", m.label),
                    "enabled": ("b", enabled),
                    "visible": ("b", True),
                }
        return items

    def _layout(self, parent: int) -> tuple[int, dict[str, tuple[str, Any]], list[Any]]:
        items = self._items()
        if parent in items:
            return (parent, items[parent], [])
        children: list[Any] = [("(ia{sv}av)", (i, props, [])) for i, props in items.items()]
        return (0, {"children-display": ("s", "submenu")}, children)

    def _clicked(self, item: int) -> None:
        chosen = next((m for m in MENU if m.id == item), None)
        if chosen is None or chosen.separator:
            return
        log.info("tray menu: %s", chosen.label)
        request = chosen.request
        if chosen.action == "pause-until-tomorrow":
            request = {"cmd": "pause", "seconds": seconds_to_midnight(self._clock(), self._tz())}
        if request is not None:
            # Off the reading thread: the daemon answers on its loop's next turn.
            handler = self._handler
            if handler is not None:
                threading.Thread(
                    target=_ask, args=(handler, request), name="sitbreak-tray", daemon=True
                ).start()
            return
        action = self._actions.get(chosen.action or "")
        if action is not None:
            threading.Thread(target=_run, args=(action,), name="sitbreak-tray", daemon=True).start()


def _ask(
    handler: Callable[[Mapping[str, Any]], dict[str, Any]], request: Mapping[str, Any]
) -> None:
    response = handler(request)
    if not response.get("ok"):
        log.warning("tray menu: sitbreak refused %s: %s", request, response.get("error"))


def _run(action: _Action) -> None:
    try:
        action()
    except Exception as exc:  # opening a browser or an editor failed: say so, carry on
        log.warning("tray menu: %s", exc)


def _item() -> DBusAddress:
    return DBusAddress(ITEM_PATH, interface=ITEM_INTERFACE)


_MENU_PROPERTIES: Final = {
    "Version": ("u", 3),
    "TextDirection": ("s", "ltr"),
    "Status": ("s", "normal"),
    "IconThemePath": ("as", []),
}


def _introspection(path: str) -> str:
    head = (
        '<!DOCTYPE node PUBLIC "-//freedesktop//DTD D-BUS Object Introspection 1.0//EN"\n'
        ' "http://www.freedesktop.org/standards/dbus/1.0/introspect.dtd">\n'
    )
    if path == "/":
        return head + '<node><node name="StatusNotifierItem"/><node name="MenuBar"/></node>\n'
    if path == ITEM_PATH:
        return head + f'<node><interface name="{ITEM_INTERFACE}"/></node>\n'
    if path == MENU_PATH:
        return head + f'<node><interface name="{MENU_INTERFACE}"/></node>\n'
    return head + "<node/>\n"
