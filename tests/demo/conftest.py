"""Browser tests of `stomp-gateway demo` (issue: the web feed and the demo): Debian's
Chromium driven by Playwright for Python, against the demo binary
(.build/debug/stomp-gateway or $STOMP_GATEWAY_BIN) run from the repository root, so
that it serves web/ under /web/.

- ``demo``: one `stomp-gateway demo` per test (embedded broker, short delays).
- ``split_demo``: the demo over three processes — a broker (`serve`), the order
  pipeline (`demo --role services`) and the gateway with the shop (`demo --role web`) —
  so a test can kill and restart the gateway while the pipeline goes on.
- ``page``: a Chromium page whose console errors and uncaught exceptions fail the test
  (except those a test expects, ``page.allow_console(regex)``).
- Screenshots go to $STOMP_DEMO_SCREENSHOTS (default /tmp/stomp-gateway-demo-screenshots).
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
BIN = os.environ.get("STOMP_GATEWAY_BIN", str(REPO / ".build" / "debug" / "stomp-gateway"))
CHROMIUM = os.environ.get("STOMP_TEST_CHROMIUM", "/usr/bin/chromium")
SHOTS = Path(os.environ.get("STOMP_DEMO_SCREENSHOTS", "/tmp/stomp-gateway-demo-screenshots"))
ADMIN_KEY = "demo-admin-key-0123456789"
HMAC_SECRET = "demo-hmac-secret-0123456789abcdef0123456789"
WEBHOOK_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


def pytest_collection_modifyitems(config, items):
    if os.path.exists(CHROMIUM):
        return
    if os.environ.get("STOMP_TEST_REQUIRE_BROWSER") == "1":
        raise pytest.UsageError(f"{CHROMIUM} is missing and STOMP_TEST_REQUIRE_BROWSER=1")
    for item in items:
        item.add_marker(pytest.mark.skip(reason=f"{CHROMIUM} is missing"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Process:
    """A gateway process; its output goes to a log file; waits for a line."""

    def __init__(self, name: str, args: list[str], log_dir: Path):
        self.name = name
        self.args = args
        self.log = log_dir / f"{name}.log"
        self.proc: subprocess.Popen | None = None

    def start(self, wait_for: str, timeout: float = 30) -> re.Match:
        handle = open(self.log, "a")
        # The gateway refuses unknown STOMP_GATEWAY_* variables (such as STOMP_GATEWAY_BIN).
        env = {k: v for k, v in os.environ.items() if not k.startswith("STOMP_GATEWAY_")}
        self.proc = subprocess.Popen([BIN, *self.args], cwd=REPO, stdout=handle, stderr=subprocess.STDOUT, env=env)
        deadline = time.time() + timeout
        while time.time() < deadline:
            match = re.search(wait_for, self.log.read_text(errors="replace"))
            if match:
                return match
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited: {self.log.read_text(errors='replace')[-2000:]}")
            time.sleep(0.05)
        raise RuntimeError(f"{self.name} did not print {wait_for!r}: {self.log.read_text(errors='replace')[-2000:]}")

    def kill(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.kill()


class Demo:
    def __init__(self, url: str, processes: list[Process]):
        self.url = url
        self.processes = processes

    def admin_url(self) -> str:
        return f"{self.url}/admin#key={ADMIN_KEY}"


def web_args(port: int, delay: float) -> list[str]:
    return [
        "--http-port", str(port), "--delay-scale", str(delay), "--admin-key", ADMIN_KEY,
        "--hmac-secret", HMAC_SECRET, "--webhook-secret", WEBHOOK_SECRET,
    ]


@pytest.fixture
def demo(tmp_path):
    port = free_port()
    process = Process("demo", ["demo", *web_args(port, 0.3)], tmp_path)
    process.start(r"HTTP listening on http://127\.0\.0\.1:\d+")
    yield Demo(f"http://127.0.0.1:{port}", [process])
    process.stop()


@pytest.fixture
def split_demo(tmp_path):
    """Broker, pipeline and web gateway in three processes; ``restart_web()`` kills
    (SIGKILL) and restarts the web gateway on the same port."""
    broker = Process("broker", ["serve", "--http-port", "0", "--broker-port", "0"], tmp_path)
    match = broker.start(r"embedded STOMP broker listening on (stomp://127\.0\.0\.1:\d+)")
    broker_url = match.group(1)
    services = Process("services", ["demo", "--role", "services", "--broker", broker_url, "--delay-scale", "1.2", "--http-port", "0"], tmp_path)
    services.start(r"HTTP listening on")
    port = free_port()
    web = Process("web", ["demo", "--role", "web", "--broker", broker_url, *web_args(port, 1.0)], tmp_path)
    web.start(r"connected to stomp://")
    demo = Demo(f"http://127.0.0.1:{port}", [broker, services, web])

    def restart_web(down_for: float = 1.0):
        web.kill()
        time.sleep(down_for)
        web.start(r"connected to stomp://")

    demo.restart_web = restart_web
    yield demo
    for process in reversed(demo.processes):
        process.stop()


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        instance = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        yield instance
        instance.close()


class ConsoleWatch:
    def __init__(self):
        self.errors: list[str] = []
        self.allowed: list[re.Pattern] = []

    def unexpected(self) -> list[str]:
        return [e for e in self.errors if not any(p.search(e) for p in self.allowed)]


@pytest.fixture
def context(browser):
    context = browser.new_context(viewport={"width": 1100, "height": 900})
    yield context
    context.close()


@pytest.fixture
def page(context):
    page = context.new_page()
    watch = ConsoleWatch()
    page.on("console", lambda message: watch.errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: watch.errors.append(f"pageerror: {error}"))
    page.allow_console = lambda pattern: watch.allowed.append(re.compile(pattern))
    page.console_watch = watch
    yield page
    assert watch.unexpected() == [], f"console errors: {watch.unexpected()}"


def screenshot(page, name: str) -> Path:
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
