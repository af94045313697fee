"""The HTML report: self-contained markup, and the page as headless Chromium renders it.

Chromium is driven over the DevTools protocol on `--remote-debugging-pipe`
(JSON messages ending in NUL on file descriptors 3 and 4), so the test reads
element sizes, console messages and network requests from the browser itself
and the report stays free of any script. Locally a missing `chromium` skips;
under CI=true it fails (`apt-get install chromium`).

`SITBREAK_UPDATE_DOCS=1 pytest tests/test_report_html.py` also refreshes
docs/report.png, the screenshot the README names.
"""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import fcntl
import gzip
import itertools
import json
import os
import re
import select
import shutil
import struct
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from desktop import require_tool
from sitbreak.cli import main
from sitbreak.commands.replay import sample_trace_path
from sitbreak.core import Cause, EngineSettings, PromptDue, PromptKind, SessionEnded
from sitbreak.report import figures as report
from sitbreak.report.render import render
from sitbreak.storage.store import DAEMON, Store

BERLIN = ZoneInfo("Europe/Berlin")
DOCS = Path(__file__).resolve().parents[2] / "docs"
DAY_S = 86400.0

# ------------------------------------------------------- a realistic week


def _sample_days() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The sample trace's two days (Monday and Tuesday 16-17 Nov 2026), as events."""
    with gzip.open(sample_trace_path(), "rt") as f:
        events = [json.loads(line) for line in f if line.strip()]
    body = [e for e in events if e.get("kind") != "meta"]
    split = dt.datetime(2026, 11, 17, tzinfo=BERLIN).timestamp()
    return [e for e in body if e["t"] < split], [e for e in body if e["t"] >= split]


def _shifted(events: list[dict[str, Any]], days: int, until_h: float = 24) -> list[dict[str, Any]]:
    """Events moved by whole days; `until_h` cuts the day short (a half day)."""
    if not events:
        return []
    day0 = dt.datetime.fromtimestamp(events[0]["t"], BERLIN).replace(hour=0, minute=0, second=0)
    cut = day0.timestamp() + until_h * 3600
    return [{**e, "t": e["t"] + days * DAY_S} for e in events if e["t"] < cut]


def realistic_week(tmp: Path) -> Path:
    """Tue 10 to Mon 16 Nov 2026 from the sample's real activity: the Monday is the sample's."""
    mon, tue = _sample_days()
    events = [
        *_shifted(tue, -7),  # Tue 10
        *_shifted(mon, -5),  # Wed 11
        *_shifted(tue, -5, until_h=12.5),  # Thu 12: a morning only
        *_shifted(mon, -3, until_h=14.5),  # Fri 13
        *mon,  # Mon 16: the sample's own
    ]
    path = tmp / "week.jsonl.gz"
    with gzip.open(path, "wt") as f:
        f.write(json.dumps({"kind": "meta", "version": 1, "tz": "Europe/Berlin"}) + "\n")
        for e in sorted(events, key=lambda e: e["t"]):
            f.write(json.dumps(e) + "\n")
    return path


@pytest.fixture
def week_html(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    """The report of the sample Monday, after a recorded week, as an HTML file."""
    assert main(["replay", str(realistic_week(tmp_path)), "--record", "--json"]) == 0
    capsys.readouterr()
    out = tmp_path / "report.html"
    code = main(["report", "2026-11-16", "--source", "replay:week", "-f", "html", "-o", str(out)])
    assert code == 0, capsys.readouterr().err
    return out


# -------------------------------------------------------- the markup


def test_the_page_is_self_contained_and_script_free(week_html: Path) -> None:
    page = week_html.read_text()
    assert page.startswith("<!DOCTYPE html>")
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in page
    assert "prefers-color-scheme:dark" in page
    for banned in ("<script", "<link", "@import", "http://", "https://", "<img", "@font-face"):
        assert banned not in page, banned
    assert set(re.findall(r"url\(([^)]*)\)", page)) == {"#hatch"}  # only the in-page pattern
    assert "<title>sitbreak · Monday 16 November 2026</title>" in page
    # Every chart is an image with a title; every session has its own tooltip.
    svgs = re.findall(r'<svg class="chart[^>]*>(.{0,300})', page)
    assert len(svgs) == 3  # the timeline, the whole day, the week
    assert all(s.startswith("<title>") for s in svgs)
    assert page.count('id="hatch"') == 1
    assert len(re.findall(r"<title>session \d\d:\d\d–\d\d:\d\d", page)) == 7
    assert "Your longest session was 1 h 12 — try a movement break at 30 min" in page
    assert "not medical advice" in page


def test_sessions_are_coloured_by_length() -> None:
    day = dt.date(2025, 11, 3)

    def at(h: int, m: int = 0) -> float:
        return dt.datetime.combine(day, dt.time(h, m), BERLIN).timestamp()

    with Store.open() as store:
        for a, b in [(at(9), at(9, 25)), (at(10), at(10, 45)), (at(11), at(12, 10))]:
            store.session_ended(SessionEnded(b + 510, a, b, Cause.IDLE))
        store.prompt_sent(PromptDue(at(10, 30), PromptKind.MOVE, 1, 1800))
        rep = _day_report(store, day)
    page = render(rep, "html", color=False, sessions=False)
    classes = re.findall(r'<rect [^>]*class="(ok|over|long)"><title>session', page)
    assert classes == ["ok", "over", "long"]  # 25 min, 45 min, 1 h 10 against 30 min
    assert "movement reminder at 10:30" in page


def _day_report(store: Store, day: dt.date, now: float | None = None) -> report.Report:
    return report.gather(
        store,
        report.Period("day", day, day),
        source=DAEMON,
        tz=BERLIN,
        settings=EngineSettings(),
        now=now if now is not None else time.time(),
        detail=True,
    )


def test_a_25_hour_day_is_drawn_25_hours_long() -> None:
    day = dt.date(2025, 10, 26)
    t0 = dt.datetime.combine(day, dt.time(1, 30), BERLIN).timestamp()
    with Store.open() as store:
        store.session_ended(SessionEnded(t0 + 3 * 3600, t0, t0 + 3 * 3600, Cause.IDLE))
        rep = _day_report(store, day)
    page = render(rep, "html", color=False, sessions=False)
    assert "The whole of Sunday 26 October (25 hours)" in page
    assert "25-hour day: the clocks went back from 03:00 to 02:00" in page
    # In the bar, the session's three real hours are 3/25 of the day.
    width = re.search(r'<svg class="chart overview".*?class="long"', page, re.S)
    assert width is not None
    widths = re.findall(r'width="([\d.]+)%" height="14" rx="0" class="long"', page)
    assert [round(float(w), 2) for w in widths] == [12.0]


def test_an_empty_day_says_so() -> None:
    with Store.open() as store:
        rep = _day_report(store, dt.date(2025, 11, 4))
    page = render(rep, "html", color=False, sessions=False)
    assert "Nothing recorded" in page and "Tip" not in page


def test_a_week_page_has_bars_strips_and_the_trend(week_html: Path, tmp_path: Path) -> None:
    out = tmp_path / "week.html"
    code = main(
        [
            "report",
            "--week",
            "2026-11-12",
            "--source",
            "replay:week",
            "-f",
            "html",
            "-o",
            str(out),
        ]
    )
    assert code == 0
    page = out.read_text()
    assert "Week 46 of 2026" in page
    assert page.count('class="strip"') == 7
    assert "No sitting recorded in the previous week to compare with." in page


# -------------------------------------------------- the page in Chromium

BROWSER_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
    "--remote-debugging-pipe",
]


class Browser:
    """Headless Chromium and one page, over the DevTools protocol on a pipe."""

    def __init__(self, profile: Path) -> None:
        exe = shutil.which("chromium") or shutil.which("chromium-browser")
        assert exe is not None
        to_child, self._to_browser = os.pipe()
        self._from_browser, from_child = os.pipe()
        # The protocol is on the child's fds 3 (commands in) and 4 (replies out);
        # bash puts our pipe ends there (no preexec_fn in a threaded pytest; dash
        # takes single-digit fds only). Above 10 first: an end that is itself fd 3
        # or 4 would be overwritten by the other redirection.
        to_child, from_child = _above_10(to_child), _above_10(from_child)
        self.proc = subprocess.Popen(
            [
                "bash",
                "-c",
                f'exec "$@" 3<&{to_child} 4>&{from_child}',
                "bash",
                exe,
                *BROWSER_FLAGS,
                f"--user-data-dir={profile}",
                "about:blank",
            ],
            pass_fds=(to_child, from_child),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        os.close(to_child)
        os.close(from_child)
        self._buf = b""
        self._next_id = 0
        self.events: list[dict[str, Any]] = []
        target = self.call("Target.createTarget", url="about:blank")["targetId"]
        self.session = self.call("Target.attachToTarget", targetId=target, flatten=True)[
            "sessionId"
        ]
        for domain in ("Page", "Runtime", "Log", "Network"):
            self.call(f"{domain}.enable", session=True)

    def call(self, method: str, *, session: bool = False, **params: Any) -> dict[str, Any]:
        self._next_id += 1
        msg: dict[str, Any] = {"id": self._next_id, "method": method, "params": params}
        if session:
            msg["sessionId"] = self.session
        os.write(self._to_browser, json.dumps(msg).encode() + b"\0")
        reply = self._wait(lambda m: m.get("id") == self._next_id, method)
        if "error" in reply:
            raise AssertionError(f"{method}: {reply['error']}")
        result: dict[str, Any] = reply.get("result", {})
        return result

    def _wait(self, want: Any, what: str, timeout: float = 30.0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            while b"\0" in self._buf:
                raw, self._buf = self._buf.split(b"\0", 1)
                msg = json.loads(raw)
                if "method" in msg:
                    self.events.append(msg)
                if want(msg):
                    return dict(msg)
            left = deadline - time.monotonic()
            ready, _, _ = select.select([self._from_browser], [], [], max(left, 0))
            if not ready:
                raise AssertionError(f"Chromium did not answer {what} within {timeout}s")
            chunk = os.read(self._from_browser, 1 << 20)
            if not chunk:
                raise AssertionError(f"Chromium closed the pipe waiting for {what}")
            self._buf += chunk

    def open(self, url: str, *, width: int, height: int, dark: bool = False) -> None:
        self.call(
            "Emulation.setDeviceMetricsOverride",
            session=True,
            width=width,
            height=height,
            deviceScaleFactor=1,
            mobile=width < 600,
        )
        scheme = "dark" if dark else "light"
        self.call(
            "Emulation.setEmulatedMedia",
            session=True,
            features=[{"name": "prefers-color-scheme", "value": scheme}],
        )
        self.events.clear()
        self.call("Page.navigate", session=True, url=url)
        self._wait(lambda m: m.get("method") == "Page.loadEventFired", "the page to load")

    def evaluate(self, expression: str) -> Any:
        result = self.call(
            "Runtime.evaluate", session=True, expression=expression, returnByValue=True
        )
        return result["result"].get("value")

    def screenshot(self, path: Path) -> bytes:
        """The whole page (not just the viewport) as PNG."""
        data = self.call(
            "Page.captureScreenshot", session=True, format="png", captureBeyondViewport=True
        )["data"]
        png = base64.b64decode(data)
        path.write_bytes(png)
        return png

    def problems(self) -> list[str]:
        """Console errors and warnings, uncaught exceptions, and requests that left the page."""
        out = []
        for ev in self.events:
            method, p = ev["method"], ev.get("params", {})
            if method == "Runtime.consoleAPICalled" and p.get("type") in ("error", "warning"):
                out.append(f"console.{p['type']}: {p.get('args')}")
            elif method == "Runtime.exceptionThrown":
                out.append(f"exception: {p.get('exceptionDetails')}")
            elif method == "Log.entryAdded" and p["entry"]["level"] in ("error", "warning"):
                out.append(f"log: {p['entry'].get('text')}")
            elif method == "Network.requestWillBeSent":
                url = p["request"]["url"]
                if not url.startswith(("file://", "about:", "data:")):
                    out.append(f"network request: {url}")
        return out

    def close(self) -> None:
        with contextlib.suppress(AssertionError):
            self.call("Browser.close")
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        os.close(self._to_browser)
        os.close(self._from_browser)


def _above_10(fd: int) -> int:
    high = fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10)
    os.close(fd)
    return high


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[Browser]:
    require_tool("chromium")
    profile = tmp_path / "chromium-profile"  # fresh: no state from a previous run
    profile.mkdir()
    b = Browser(profile)
    try:
        yield b
    finally:
        b.close()


MEASURE = """JSON.stringify({
  title: document.title,
  h1: document.querySelector('h1').textContent,
  charts: [...document.querySelectorAll('svg.chart')].map(s => {
    const r = s.getBoundingClientRect();
    return {cls: s.getAttribute('class'), w: r.width, h: r.height,
            titled: s.firstElementChild.tagName === 'title'};
  }),
  sessions: [...document.querySelectorAll('svg.timeline rect.ok, svg.timeline rect.over,'
                                         + ' svg.timeline rect.long')]
    .map(r => r.getBoundingClientRect().width),
  bars: [...document.querySelectorAll('svg.days rect.sit')]
    .map(r => r.getBoundingClientRect().height),
  labels: [...document.querySelectorAll('svg.timeline text')]
    .filter(t => getComputedStyle(t).display !== 'none')
    .map(t => { const r = t.getBoundingClientRect(); return [r.left, r.right]; }),
  cards: [...document.querySelectorAll('.fig')].map(c => c.getBoundingClientRect().width),
  scrollWidth: document.documentElement.scrollWidth,
  innerWidth: window.innerWidth,
  background: getComputedStyle(document.body).backgroundColor,
  text: getComputedStyle(document.body).color,
})"""


def _luminance(css: str) -> float:
    r, g, b = (int(x) / 255 for x in re.findall(r"\d+", css)[:3])

    def lin(c: float) -> float:
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b)


def _png_size(png: bytes) -> tuple[int, int]:
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", png[16:24])
    return width, height


@pytest.mark.parametrize(
    ("width", "dark"), [(1000, False), (390, False), (390, True)], ids=["desktop", "phone", "dark"]
)
def test_the_report_renders_in_chromium(
    browser: Browser, week_html: Path, tmp_path: Path, width: int, dark: bool
) -> None:
    browser.open(week_html.as_uri(), width=width, height=900, dark=dark)
    m = json.loads(browser.evaluate(MEASURE))
    assert m["title"] == "sitbreak · Monday 16 November 2026"
    assert m["h1"] == "Monday 16 November 2026"
    assert [c["cls"] for c in m["charts"]] == ["chart timeline", "chart overview", "chart days"]
    for chart in m["charts"]:
        assert chart["w"] > 0.8 * min(width, 880) - 60 and chart["h"] > 10, chart
        assert chart["titled"], chart
    assert len(m["sessions"]) == 7 and all(w > 3 for w in m["sessions"])
    assert sum(h > 20 for h in m["bars"]) == 5  # Tue-Fri and the Monday; not the weekend
    assert m["scrollWidth"] <= m["innerWidth"], "the page scrolls sideways"
    labels = sorted(m["labels"])
    for (_, right), (left, _) in itertools.pairwise(labels):
        assert right <= left + 0.5, f"timeline labels overlap at {width}px"
    assert len(m["cards"]) == 6 and min(m["cards"]) > 100
    bg, fg = _luminance(m["background"]), _luminance(m["text"])
    assert (bg < 0.05) if dark else (bg > 0.8)
    assert (max(bg, fg) + 0.05) / (min(bg, fg) + 0.05) > 7  # body text contrast
    png = browser.screenshot(tmp_path / "report.png")
    w, h = _png_size(png)
    assert w == width and h > 900 and len(png) > 30_000  # drawn, not a blank page
    assert browser.problems() == []
    if width == 1000 and os.environ.get("SITBREAK_UPDATE_DOCS") == "1":
        DOCS.mkdir(exist_ok=True)
        (DOCS / "report.png").write_bytes(png)


def test_chromium_reports_a_broken_page(browser: Browser, tmp_path: Path) -> None:
    """The harness itself: a page with an error, a failed request and no charts is caught."""
    page = tmp_path / "broken.html"
    page.write_text(
        "<!DOCTYPE html><title>x</title><img src='http://127.0.0.1:9/x.png'>"
        "<script>console.error('boom'); undefined_fn();</script>"
    )
    browser.open(page.as_uri(), width=400, height=300)
    found = " ".join(browser.problems())
    assert "console.error" in found and "exception" in found and "network request" in found


def _empty_report(kind: str, tz: dt.tzinfo, now: float) -> report.Report:
    with Store.open() as store:
        today = dt.datetime.fromtimestamp(now, tz).date()
        period = report.choose_period(
            None,
            week="" if kind == "week" else None,
            month="" if kind == "month" else None,
            first=None,
            last=None,
            today=today,
        )
        return report.gather(
            store,
            period,
            source=DAEMON,
            tz=tz,
            settings=EngineSettings(),
            now=now,
            detail=True,
        )


@pytest.mark.parametrize("kind", ["day", "week", "month"])
def test_a_period_without_sitting_renders(kind: str) -> None:
    now = dt.datetime(2026, 11, 18, 15, 0, tzinfo=BERLIN).timestamp()
    page = render(_empty_report(kind, BERLIN, now), "html", color=False, sessions=False)
    assert page.rstrip().endswith("</html>")
    assert "1 sessions" not in page and "0 sessions" in page


@pytest.mark.parametrize(
    ("zone", "made"),
    [
        ("Europe/Berlin", "2026-11-18 15:00 CET (UTC+01:00)"),
        ("America/St_Johns", "2026-11-18 10:30 NST (UTC−03:30)"),
        ("UTC", "2026-11-18 14:00 UTC (UTC+00:00)"),
    ],
)
def test_the_footer_time_says_its_zone(zone: str, made: str) -> None:
    now = dt.datetime(2026, 11, 18, 15, 0, tzinfo=BERLIN).timestamp()
    page = render(_empty_report("day", ZoneInfo(zone), now), "html", color=False, sessions=False)
    assert f"Made by sitbreak on {made}." in page
