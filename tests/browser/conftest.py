"""Browser tests of web/stomp-gateway.js: Chromium (Playwright) against a real gateway.

- Each test module starts its own `stomp-gateway serve` (embedded broker, SSE heartbeat
  1 s, STOMP heart-beats 1 s; .build/debug/stomp-gateway or $STOMP_GATEWAY_BIN) through
  tests/push/pushlib.py, and a ``Front`` (browserlib.py) on 127.0.0.1 that serves
  ``/web/`` (the library) and ``/pages/`` (tests/browser/pages) and passes every other
  request through to the gateway. Pages use the front's origin as the gateway URL
  (same origin), or the gateway's own URL (``cross_origin=True``).
- ``web_base`` is the one place that says where stomp-gateway.js is loaded from:
  the front's ``/web/`` by default; ``STOMP_BROWSER_WEB_BASE=gateway`` takes it from the
  gateway's own ``/web/`` (``http.web_dir``), any other value is used as the base URL.
- Chromium: Debian's /usr/bin/chromium (override: STOMP_TEST_CHROMIUM), headless. When
  it is missing every test is skipped, unless STOMP_TEST_REQUIRE_BROWSER=1.
- Every page's console errors and uncaught exceptions fail the test, except those a
  test declares expected (``page.allow_console(regex)``): the browser's own network
  messages for a refused request.
- BROWSER_TEST_DEBUG=1 (with -s) prints each page's state events, errors and console lines.
"""

from __future__ import annotations

import json
import os
import re
import sys
import time
import urllib.parse
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(REPO / "tests" / "push"))

from browserlib import Front, TokenService, gateway_config  # noqa: E402

CHROMIUM = os.environ.get("STOMP_TEST_CHROMIUM", "/usr/bin/chromium")


def pytest_collection_modifyitems(config, items):
    if os.path.exists(CHROMIUM):
        return
    if os.environ.get("STOMP_TEST_REQUIRE_BROWSER") == "1":
        raise pytest.UsageError(f"{CHROMIUM} is missing and STOMP_TEST_REQUIRE_BROWSER=1")
    skip = pytest.mark.skip(reason=f"{CHROMIUM} is missing (set STOMP_TEST_REQUIRE_BROWSER=1 to fail instead)")
    for item in items:
        item.add_marker(skip)


# ----------------------------------------------------------------------------- processes


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        yield b
        b.close()


def _start_gateway(workdir: Path, name: str, extra: str = ""):
    import pushlib

    if os.environ.get("STOMP_BROWSER_WEB_BASE") == "gateway":
        extra = f"http:\n  web_dir: {json.dumps(str(REPO / 'web'))}\n" + extra
    gw = pushlib.Gateway("embedded", workdir, gateway_config(extra), name=name)
    try:
        gw.start()
    except pushlib.GatewayStartError:
        # The binary may be being rebuilt under us (a missing or half-written file): once more.
        time.sleep(5)
        gw = pushlib.Gateway("embedded", workdir / "again", gateway_config(extra), name=name)
        gw.start()
    return gw


@pytest.fixture(scope="module")
def gateway(tmp_path_factory, request):
    gw = _start_gateway(tmp_path_factory.mktemp("browser-gw"), f"gateway-{request.module.__name__}")
    yield gw
    rc = gw.stop()
    assert rc == 0, f"the gateway exited with {rc} on SIGTERM\n{gw.diagnostics(20)}"


@pytest.fixture
def fresh_gateway(tmp_path_factory):
    """A gateway of the test's own (for tests that stop it)."""
    started = []

    def make():
        gw = _start_gateway(tmp_path_factory.mktemp("browser-gw-own"), "gateway-own")
        started.append(gw)
        return gw

    yield make
    for gw in started:
        gw.stop()


@pytest.fixture(scope="module")
def front(gateway):
    f = Front(
        {"/web/": REPO / "web", "/pages/": HERE / "pages"},
        upstream=(gateway.http_host, gateway.http_port),
        routes={"/test-token": TokenService()},
    )
    yield f
    f.close()


@pytest.fixture(scope="module")
def web_base(front, gateway) -> str:
    """Base URL of web/ (where stomp-gateway.js is loaded from)."""
    env = os.environ.get("STOMP_BROWSER_WEB_BASE", "")
    if env == "gateway":
        return f"{gateway.base_url}/web/"
    if env:
        return env.rstrip("/") + "/"
    return f"{front.url}/web/"


@pytest.fixture(scope="module")
def publisher(gateway):
    import pushlib

    p = pushlib.Publisher(gateway.broker_url, "embedded")
    yield p
    p.close()


# ----------------------------------------------------------------------------- pages


class Page:
    """A harness page (tests/browser/pages/harness.html) and what its console said."""

    def __init__(self, context, page, front: Front, gateway, publisher) -> None:
        self.context = context
        self.page = page
        self.front = front
        self.gateway = gateway
        self.publisher = publisher
        self.t0 = time.monotonic()
        self.console_errors: list[str] = []
        self.allowed: list[re.Pattern] = []
        page.on("console", self._on_console)
        page.on("pageerror", lambda e: self.console_errors.append(f"pageerror: {e}"))

    def _on_console(self, msg) -> None:
        if msg.type in ("error", "assert"):
            self.console_errors.append(msg.text)

    def allow_console(self, pattern: str) -> None:
        self.allowed.append(re.compile(pattern))

    def unexpected_console(self) -> list[str]:
        return [t for t in self.console_errors if not any(p.search(t) for p in self.allowed)]

    def requests(self, path: str) -> list[tuple[float, str, str]]:
        """Requests to `path` the front passed on to the gateway since this page opened."""
        return self.front.requests_to(path, since=self.t0)

    def live_connections(self, path: str) -> list:
        return self.front.live_pairs(path, since=self.t0)

    def cut(self, path: str) -> int:
        return self.front.cut_all(path, since=self.t0)

    def freeze(self, path: str) -> int:
        return self.front.freeze_all(path, since=self.t0)

    # -- driving window.H
    def js(self, expr: str, arg=None):
        return self.page.evaluate(expr, arg)

    def connect(self, **options) -> None:
        self.js("(o) => H.connect(o)", options)

    def subscribe(self, key: str, destination: str, **options) -> None:
        self.js("([k, d, o]) => H.subscribe(k, d, o)", [key, destination, options])

    def unsubscribe(self, key: str) -> None:
        self.js("(k) => H.unsubscribe(k)", key)

    def msgs(self, key: str) -> list[dict]:
        return self.js("(k) => H.subs[k].msgs", key)

    def bodies(self, key: str) -> list[str]:
        return self.js("(k) => H.bodies(k)", key)

    def gaps(self, key: str) -> list[dict]:
        return self.js("(k) => H.subs[k].gaps", key)

    def errors(self, key: str | None = None) -> list[dict]:
        return self.js("(k) => k ? H.subs[k].errors : H.errors", key)

    def states(self) -> list[dict]:
        return self.js("() => H.states")

    def state(self) -> str:
        return self.js("() => H.gw.state")

    def publish(self, destination: str, body, headers: dict | None = None) -> dict:
        return self.js("([d, b, h]) => H.publish(d, b, h)", [destination, body, headers or {}])

    def wait(self, expr: str, arg=None, timeout: float = 10.0, what: str = "") -> None:
        """Waits until `expr` (a JS function of arg) is truthy."""
        try:
            self.page.wait_for_function(expr, arg=arg, timeout=timeout * 1000, polling=50)
        except Exception as e:  # noqa: BLE001
            raise AssertionError(
                f"timed out after {timeout}s waiting for {what or expr}\n"
                f"states: {self.js('() => H.states')}\nerrors: {self.js('() => H.errors')}\n"
                f"console: {self.console_errors}"
            ) from e

    def wait_count(self, key: str, n: int, timeout: float = 10.0) -> list[str]:
        self.wait("([k, n]) => H.subs[k] && H.subs[k].msgs.length >= n", [key, n], timeout, f"{n} messages on {key}")
        return self.bodies(key)

    def wait_state(self, state: str, reason: str | None = None, after: int = 0, timeout: float = 10.0) -> dict:
        self.wait(
            "([s, r, i]) => H.states.slice(i).some((x) => x.state === s && (!r || x.reason === r))",
            [state, reason, after],
            timeout,
            f"state {state} ({reason or 'any reason'})",
        )
        return next(x for x in self.states()[after:] if x["state"] == state and (not reason or x.get("reason") == reason))

    # -- the broker side
    def publish_broker(self, destination: str, bodies, content_type: str = "text/plain") -> None:
        self.publisher.publish(destination, list(bodies), content_type=content_type)


@pytest.fixture
def open_page(browser, front, gateway, publisher, web_base):
    """open_page(cross_origin=False, clock=False) -> Page with the harness loaded (window.H ready)."""
    opened: list[Page] = []

    def make(cross_origin: bool = False, clock: bool = False) -> Page:
        """clock: Playwright's fake clock (page.clock), installed before the page loads."""
        context = browser.new_context()
        page = context.new_page()
        if clock:
            page.clock.install()
        p = Page(context, page, front, gateway, publisher)
        opened.append(p)

        q = {"lib": web_base + "stomp-gateway.js"}
        if cross_origin:
            q["gw"] = gateway.base_url
        page.goto(f"{front.url}/pages/harness.html?{urllib.parse.urlencode(q)}")
        page.wait_for_function("() => window.harnessReady || window.harnessError", timeout=10000)
        err = page.evaluate("() => window.harnessError")
        assert not err, f"the harness could not load {q['lib']}: {err}"
        return p

    yield make
    problems = []
    for p in opened:
        try:
            p.js("() => H.close()")
        except Exception:  # noqa: BLE001
            pass
        if os.environ.get("BROWSER_TEST_DEBUG"):
            try:
                print("\nSTATES", [(x["state"], x.get("reason"), x.get("retryInMs")) for x in p.states()])
                print("ERRORS", p.errors())
            except Exception:  # noqa: BLE001
                pass
            print("CONSOLE", p.console_errors)
        bad = p.unexpected_console()
        if bad:
            problems.append("\n".join(bad))
        p.context.close()
    assert not problems, "console errors on the page:\n" + "\n".join(problems)


@pytest.fixture
def page(open_page) -> Page:
    return open_page()
