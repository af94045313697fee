"""`sitbreak service install|uninstall|status`: run sitbreak with the desktop session.

The work is in `sitbreak.autostart`, imported by the handlers only, so that
`sitbreak --help` does not pay for it.
"""

from __future__ import annotations

import argparse
import sys


def _cmd_install(args: argparse.Namespace) -> int:
    from sitbreak import autostart as unit

    host = unit.detect()
    if args.autostart:
        if host.platform.startswith("linux"):
            if args.print:
                print(unit.autostart_entry(), end="")
                return 0
            unit.install_dbus_service(sys.stdout)
            return unit.install_autostart(sys.stdout, running_pid=_running_pid())
        print(unit.advice(host), file=sys.stdout)
        return 1
    if args.print:
        # Works without systemd too: to read it, or to install it by hand.
        print(unit.installed_unit(), end="")
        return 0
    if host.systemctl is None:
        print(unit.advice(host))
        return 1
    unit.install_dbus_service(sys.stdout)
    return unit.install(
        unit.Systemctl(host.systemctl),
        unit.installed_unit(),
        sys.stdout,
        start=not args.no_start,
    )


def _cmd_uninstall(_args: argparse.Namespace) -> int:
    from sitbreak import autostart as unit

    host = unit.detect()
    ctl = unit.Systemctl(host.systemctl) if host.systemctl else None
    unit.remove_dbus_service(sys.stdout)
    return unit.uninstall(ctl, sys.stdout, running_pid=None if ctl else _running_pid())


def _running_pid() -> int | None:
    """The monitor running now, whichever way it was started (its lock's pid)."""
    from sitbreak.daemon.startup import running_daemon_pid

    return running_daemon_pid()


def _cmd_status(_args: argparse.Namespace) -> int:
    from sitbreak import autostart as unit

    host = unit.detect()
    if host.systemctl is None:
        return unit.autostart_status(sys.stdout, running_pid=_running_pid())
    return unit.status(unit.Systemctl(host.systemctl), sys.stdout)


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "service",
        help="start sitbreak with your desktop (a systemd user service)",
        description="Install, remove or inspect the systemd user service that runs "
        "`sitbreak run` with your graphical session. Without systemd, explains how to "
        "start sitbreak at login instead.",
    )
    ssub = p.add_subparsers(dest="service_command", metavar="ACTION")
    ssub.required = True

    s = ssub.add_parser(
        "install",
        help="write, enable and start the user service (systemctl --user)",
        description="Write sitbreak.service to $XDG_CONFIG_HOME/systemd/user/ with ExecStart "
        "pointing at this installation, reload the user manager, enable and start it.",
    )
    s.add_argument(
        "--print", action="store_true", help="print the unit (or entry) instead of installing it"
    )
    s.add_argument(
        "--autostart",
        action="store_true",
        help="write an XDG autostart entry (~/.config/autostart/sitbreak.desktop) instead: "
        "for desktops without systemd, or that do not start graphical-session.target",
    )
    s.add_argument(
        "--no-start",
        action="store_true",
        help="enable the service without starting it now: it starts with your next "
        "graphical session",
    )
    s.set_defaults(func=_cmd_install)

    s = ssub.add_parser(
        "uninstall",
        help="stop, disable and remove the user service (and autostart entry)",
        description="Stop sitbreak, disable and remove the systemd user service, the XDG "
        "autostart entry and sitbreak's D-Bus service file. Your data and config stay "
        "where they are.",
    )
    s.set_defaults(func=_cmd_uninstall)

    s = ssub.add_parser(
        "status",
        help="is the service installed, enabled, running, and since when",
        description="Whether the systemd user service (without systemd: the XDG autostart "
        "entry) is installed and enabled, and whether sitbreak is running now, since when.",
    )
    s.set_defaults(func=_cmd_status)
