"""The HTML report in a real browser: headless Chromium over the DevTools pipe.

Chromium is driven through ``--remote-debugging-pipe`` (the DevTools protocol as
NUL-separated JSON on file descriptors 3 and 4), so the test needs no Python
package beyond the standard library, only a ``chromium`` binary (Debian package
``chromium``). Without one the test is skipped. A full-page screenshot is saved
as ``artifacts/report_screenshot.png``.
"""

import base64
import contextlib
import fcntl
import importlib.util
import json
import os
import select
import shutil
import signal
import tempfile
import time
from pathlib import Path

import pytest

from tsattn.report import save_report

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "artifacts"
CHROMIUM_NAMES = (
    "chromium",
    "chromium-browser",
    "google-chrome",
    "google-chrome-stable",
)
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--hide-scrollbars",
    "--remote-debugging-pipe",
]
TIMEOUT = 60.0


def _chromium():
    explicit = os.environ.get("TSATTN_CHROMIUM")
    if explicit:
        return explicit
    for name in CHROMIUM_NAMES:
        found = shutil.which(name)
        if found:
            return found
    return None


def _fixtures():
    """The results-frame generator of tests/test_report.py."""
    spec = importlib.util.spec_from_file_location(
        "_report_fixtures", Path(__file__).with_name("test_report.py")
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _high_fd(fd):
    # Move a descriptor out of the 0-9 range so that the dup2 onto 3 and 4 in the
    # child cannot clobber it; the copy is close-on-exec, the child's 3/4 are not.
    high = fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 100)
    os.close(fd)
    return high


class DevTools:
    """A headless Chromium and a minimal DevTools-protocol client over pipes."""

    def __init__(self, binary, log_path):
        self.profile = tempfile.mkdtemp(prefix="tsattn-chromium-")
        to_read, self._to_chrome = map(_high_fd, os.pipe())
        self._from_chrome, from_write = map(_high_fd, os.pipe())
        log = _high_fd(os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644))
        args = [binary, *FLAGS, f"--user-data-dir={self.profile}", "about:blank"]
        self.pid = os.posix_spawn(
            binary,
            args,
            os.environ,
            file_actions=[
                (os.POSIX_SPAWN_DUP2, log, 1),
                (os.POSIX_SPAWN_DUP2, log, 2),
                (os.POSIX_SPAWN_DUP2, to_read, 3),
                (os.POSIX_SPAWN_DUP2, from_write, 4),
            ],
            setsid=True,
        )
        for fd in (to_read, from_write, log):
            os.close(fd)
        self._buffer = b""
        self._next_id = 0
        self.events = []

    def _read_message(self, deadline):
        while b"\0" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("no answer from Chromium within the time limit")
            ready, _, _ = select.select([self._from_chrome], [], [], left)
            if ready:
                chunk = os.read(self._from_chrome, 1 << 20)
                if not chunk:
                    raise RuntimeError("Chromium closed the DevTools pipe")
                self._buffer += chunk
        raw, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(raw)

    def call(self, method, params=None, session=None, timeout=TIMEOUT):
        self._next_id += 1
        message = {"id": self._next_id, "method": method, "params": params or {}}
        if session is not None:
            message["sessionId"] = session
        os.write(self._to_chrome, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while True:
            reply = self._read_message(deadline)
            if reply.get("id") == self._next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method} failed: {reply['error']}")
                return reply["result"]
            self.events.append(reply)

    def wait_for(self, method, timeout=TIMEOUT):
        for i, event in enumerate(self.events):
            if event.get("method") == method:
                return self.events.pop(i)
        deadline = time.monotonic() + timeout
        while True:
            event = self._read_message(deadline)
            if event.get("method") == method:
                return event
            self.events.append(event)

    def drain(self, seconds):
        with contextlib.suppress(TimeoutError):
            while True:
                self.events.append(self._read_message(time.monotonic() + seconds))

    def close(self):
        with contextlib.suppress(Exception):
            self.call("Browser.close", timeout=10)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            pid, _ = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                break
            time.sleep(0.1)
        else:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.pid, signal.SIGKILL)
            os.waitpid(self.pid, 0)
        for fd in (self._to_chrome, self._from_chrome):
            with contextlib.suppress(OSError):
                os.close(fd)
        shutil.rmtree(self.profile, ignore_errors=True)


def _evaluate(browser, session, expression):
    result = browser.call(
        "Runtime.evaluate",
        {"expression": expression, "returnByValue": True, "awaitPromise": True},
        session=session,
    )
    if "exceptionDetails" in result:
        raise AssertionError(f"page script failed: {result['exceptionDetails']}")
    return result["result"]["value"]


def _problems(events):
    """Console errors, uncaught exceptions and requests that left the file."""
    found = []
    for event in events:
        method, params = event.get("method"), event.get("params", {})
        if method == "Runtime.consoleAPICalled" and params["type"] in (
            "error",
            "assert",
        ):
            found.append(f"console.{params['type']}: {params['args']}")
        elif method == "Runtime.exceptionThrown":
            found.append(f"exception: {params['exceptionDetails']}")
        elif method == "Log.entryAdded" and params["entry"]["level"] == "error":
            found.append(f"log: {params['entry'].get('text')}")
        elif method == "Network.requestWillBeSent":
            url = params["request"]["url"]
            if not url.startswith(("file:", "data:")):
                found.append(f"network request: {url}")
        elif method == "Network.loadingFailed":
            found.append(f"failed to load: {params.get('errorText')}")
    return found


@pytest.fixture(scope="module")
def chromium():
    if not hasattr(os, "posix_spawn"):
        pytest.skip("the DevTools pipe driver needs os.posix_spawn (POSIX only)")
    binary = _chromium()
    if binary is None:
        pytest.skip(
            "no Chromium binary (looked for chromium, chromium-browser, google-chrome; "
            "set TSATTN_CHROMIUM to a path). On Debian: apt-get install chromium"
        )
    return binary


def test_report_renders_in_chromium(chromium, tmp_path):
    fx = _fixtures()
    results = fx.make_results(fx.NAIVE_WINS)
    page_path = save_report(
        results,
        tmp_path / "report.html",
        attention=fx.attention_spec(),
        notes="Synthetic prices for the browser test.",
    )
    n_models = results["model"].nunique()
    ARTIFACTS.mkdir(exist_ok=True)
    browser = DevTools(chromium, tmp_path / "chromium.log")
    try:
        target = browser.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = browser.call(
            "Target.attachToTarget", {"targetId": target, "flatten": True}
        )["sessionId"]
        for domain in ("Page", "Runtime", "Log", "Network"):
            browser.call(f"{domain}.enable", session=session)
        browser.call(
            "Emulation.setDeviceMetricsOverride",
            {"width": 1200, "height": 900, "deviceScaleFactor": 1, "mobile": False},
            session=session,
        )
        browser.call("Page.navigate", {"url": page_path.as_uri()}, session=session)
        browser.wait_for("Page.loadEventFired")

        images = _evaluate(
            browser,
            session,
            """Promise.all([...document.images].map(img => img.decode().then(
                () => ({ok: true, w: img.naturalWidth, h: img.naturalHeight}),
                () => ({ok: false, w: img.naturalWidth, h: img.naturalHeight}))))""",
        )
        layout = _evaluate(
            browser,
            session,
            """(() => {
                const table = document.querySelector('#leaderboard-table');
                const wrap = table && table.parentElement;
                const rows = document.querySelectorAll('#leaderboard-table tbody tr');
                return {
                    rows: rows.length,
                    tableWidth: table ? table.scrollWidth : -1,
                    wrapWidth: wrap ? wrap.clientWidth : -1,
                    pageWidth: document.documentElement.scrollWidth,
                    viewport: window.innerWidth,
                    title: document.title,
                    verdict: document.querySelector('#verdict').innerText,
                };
            })()""",
        )
        metrics = browser.call("Page.getLayoutMetrics", session=session)
        size = metrics["cssContentSize"]
        shot = browser.call(
            "Page.captureScreenshot",
            {
                "format": "png",
                "captureBeyondViewport": True,
                "clip": {
                    "x": 0,
                    "y": 0,
                    "width": size["width"],
                    "height": size["height"],
                    "scale": 1,
                },
            },
            session=session,
        )
        screenshot = ARTIFACTS / "report_screenshot.png"
        screenshot.write_bytes(base64.b64decode(shot["data"]))
        browser.drain(0.5)
        problems = _problems(browser.events)
    finally:
        browser.close()

    assert problems == []
    assert images
    assert all(i["ok"] and i["w"] > 0 and i["h"] > 0 for i in images), images
    assert len(images) == results["series"].nunique() + 4
    assert layout["rows"] == n_models
    assert layout["title"] == "tsattn backtest report"
    assert "No model beats the naive baseline" in layout["verdict"]
    # readable at a laptop width: the leaderboard fits without sideways scrolling
    assert layout["tableWidth"] <= layout["wrapWidth"], layout
    assert layout["pageWidth"] <= layout["viewport"], layout
    assert screenshot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
