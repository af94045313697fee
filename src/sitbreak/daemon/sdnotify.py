"""The systemd notification protocol, without libsystemd.

A service started with `Type=notify` tells systemd it is ready, what it is
doing and that it is alive by sending datagrams such as "READY=1",
"STATUS=..." and "WATCHDOG=1" to the socket named in $NOTIFY_SOCKET. Outside
systemd the variable is unset and every call does nothing.
"""

from __future__ import annotations

import logging
import os
import socket

log = logging.getLogger("sitbreak.sdnotify")


class SdNotifier:
    def __init__(self, env: dict[str, str] | None = None) -> None:
        environ = os.environ if env is None else env
        address = environ.get("NOTIFY_SOCKET", "")
        if address.startswith("@"):  # an abstract socket
            address = "\0" + address[1:]
        self._address = address or None
        self._sock: socket.socket | None = None
        usec = environ.get("WATCHDOG_USEC", "")
        pid = environ.get("WATCHDOG_PID", "")
        ours = not pid or pid == str(os.getpid())
        #: How often systemd wants WATCHDOG=1, in seconds; None when it does not.
        self.watchdog_s: float | None = int(usec) / 1e6 if usec.isdigit() and ours else None
        self._warned = False

    @property
    def enabled(self) -> bool:
        return self._address is not None

    def notify(self, *lines: str) -> None:
        """Send lines such as "READY=1" in one datagram; failures are logged once."""
        if self._address is None:
            return
        try:
            if self._sock is None:
                self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC)
            self._sock.sendto("\n".join(lines).encode(), self._address)
        except OSError as exc:
            if not self._warned:
                self._warned = True
                log.warning("cannot notify systemd at %s: %s", self._address.lstrip("\0"), exc)

    def close(self) -> None:
        if self._sock is not None:
            self._sock.close()
            self._sock = None
