"""Real Syncthing instances for tests: loopback only, started and stopped by pid.

Each instance has its own home (keys, config, database) under the test's
temporary directory and its own ports on 127.0.0.1; global discovery, local
announcements, relays, NAT traversal, usage reports, crash reports and
upgrades are all off, so nothing leaves the machine. Two instances share one
folder, each with its own path, with a file-watcher delay of a second
(Syncthing's default is 10).
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import urllib.request
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

from desktop import require_tool, stop_process, wait_for

FOLDER_ID = "sitbreak"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@dataclass
class Syncthing:
    home: Path
    folder: Path
    gui_port: int = field(default_factory=free_port)
    sync_port: int = field(default_factory=free_port)
    api_key: str = "sitbreak-test-key"
    device_id: str = ""
    proc: subprocess.Popen[bytes] | None = None

    def generate(self) -> None:
        require_tool("syncthing")
        out = subprocess.run(
            ["syncthing", "generate", f"--home={self.home}", "--no-default-folder"],
            capture_output=True,
            text=True,
            check=True,
            env=self.env,
        )
        m = re.search(r"Device ID: ([A-Z0-9-]{63})", out.stdout + out.stderr)
        assert m, out.stdout + out.stderr
        self.device_id = m.group(1)

    @property
    def env(self) -> dict[str, str]:
        env = dict(os.environ, HOME=str(self.home), STNOUPGRADE="1", STNORESTART="1")
        env.pop("STGUIADDRESS", None)
        return env

    def configure(self, peer: Syncthing, watch_delay: int = 1) -> None:
        """Loopback only, and the shared folder with `peer`."""
        path = self.home / "config.xml"
        tree = ET.parse(path)
        root = tree.getroot()
        gui = root.find("gui")
        assert gui is not None
        _set(gui, "address", f"127.0.0.1:{self.gui_port}")
        _set(gui, "apikey", self.api_key)
        opts = root.find("options")
        assert opts is not None
        for tag, value in {
            "listenAddress": f"tcp://127.0.0.1:{self.sync_port}",
            "globalAnnounceEnabled": "false",
            "localAnnounceEnabled": "false",
            "relaysEnabled": "false",
            "natEnabled": "false",
            "startBrowser": "false",
            "urAccepted": "-1",
            "crashReportingEnabled": "false",
            "autoUpgradeIntervalH": "0",
            "reconnectionIntervalS": "1",
        }.items():
            _set(opts, tag, value)
        device = ET.SubElement(
            root, "device", id=peer.device_id, name=peer.home.name, compression="metadata"
        )
        _set(device, "address", f"tcp://127.0.0.1:{peer.sync_port}")
        self.folder.mkdir(parents=True, exist_ok=True)
        (self.folder / ".stfolder").mkdir(exist_ok=True)
        folder = ET.Element(
            "folder",
            id=FOLDER_ID,
            label=FOLDER_ID,
            path=str(self.folder),
            type="sendreceive",
            rescanIntervalS="60",
            fsWatcherEnabled="true",
            fsWatcherDelayS=str(watch_delay),
        )
        ET.SubElement(folder, "device", id=self.device_id)
        ET.SubElement(folder, "device", id=peer.device_id)
        root.insert(0, folder)
        tree.write(path)

    def start(self) -> None:
        log = open(self.home / "syncthing.log", "ab")  # noqa: SIM115 - the process holds it
        self.proc = subprocess.Popen(
            [
                "syncthing",
                "serve",
                f"--home={self.home}",
                "--no-browser",
                "--no-restart",
                "--no-upgrade",
                f"--logfile={self.home / 'syncthing.log'}",
            ],
            env=self.env,
            stdout=log,
            stderr=log,
            start_new_session=True,
        )
        log.close()
        wait_for(self._pings, timeout=30, what=f"syncthing in {self.home} to answer")

    def stop(self) -> None:
        proc, self.proc = self.proc, None
        if proc is not None:
            stop_process(proc, timeout=10)

    def rest(self, path: str) -> object:
        req = urllib.request.Request(
            f"http://127.0.0.1:{self.gui_port}{path}", headers={"X-API-Key": self.api_key}
        )
        with urllib.request.urlopen(req, timeout=5) as r:
            return json.loads(r.read() or b"null")

    def _pings(self) -> bool:
        if self.proc is not None and self.proc.poll() is not None:
            raise AssertionError(
                f"syncthing exited: {(self.home / 'syncthing.log').read_text()[-2000:]}"
            )
        try:
            return self.rest("/rest/system/ping") == {"ping": "pong"}
        except OSError:
            return False

    def connected_to(self, peer: Syncthing) -> bool:
        conns = self.rest("/rest/system/connections")
        assert isinstance(conns, dict)
        return bool(conns["connections"].get(peer.device_id, {}).get("connected"))


def _set(parent: ET.Element, tag: str, text: str) -> None:
    el = parent.find(tag)
    if el is None:
        el = ET.SubElement(parent, tag)
    el.text = text


def pair(tmp: Path, watch_delay: int = 1) -> tuple[Syncthing, Syncthing]:
    """Two instances sharing FOLDER_ID, connected, in tmp/desk and tmp/laptop."""
    a = Syncthing(tmp / "st-desk", tmp / "desk-Sync" / "sitbreak")
    b = Syncthing(tmp / "st-laptop", tmp / "laptop-Sync" / "sitbreak")
    a.generate()
    b.generate()
    a.configure(b, watch_delay)
    b.configure(a, watch_delay)
    return a, b
