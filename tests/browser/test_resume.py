"""Resume: after any interruption every message arrives exactly once, in order.

- offline/online (Playwright's network emulation: the page sees `offline`, then `online`);
- the stream cut on the network side (the front closes the connections it passes on);
- a dead proxy (the front keeps the connections open but carries nothing): only the
  heart-beat watchdog can notice;
- the gateway shutting down (`shutting_down`).
"""

from __future__ import annotations

import threading
import time

import pytest

from browserlib import assert_in_order_once, uid

ALL = {"subscribe": ["/topic/**"], "publish": ["/topic/**"], "ttl": 600}
TRANSPORTS = ["sse", "websocket"]
# The browser's own words for a connection that was cut under it.
CUT_CONSOLE = r"ERR_INCOMPLETE_CHUNKED_ENCODING|ERR_CONNECTION_RESET|ERR_EMPTY_RESPONSE|WebSocket connection to .* failed"


def start(page, transport, dest, n=3, **extra):
    page.connect(transport=transport, heartbeatMs=1000, tokenSpec=ALL, backoffBaseMs=300, **extra)
    page.subscribe("s", dest, since="live")
    page.wait_state("open")
    time.sleep(0.3)
    first = [f"a{i}" for i in range(1, n + 1)]
    page.publish_broker(dest, first)
    page.wait_count("s", n)
    return first


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_offline_then_online_resumes_exactly_once(page, transport):
    dest = f"/topic/orders.{uid()}"
    first = start(page, transport, dest)
    mark = len(page.states())
    page.context.set_offline(True)
    paused = page.wait_state("paused", "offline", after=mark)
    assert paused["retryInMs"] is None
    # Published while the page is offline: the page must get them after it comes back.
    missed = [f"b{i}" for i in range(1, 6)]
    page.publish_broker(dest, missed)
    time.sleep(0.5)
    assert page.bodies("s") == first
    page.context.set_offline(False)
    page.wait_state("resumed", after=mark)
    later = [f"c{i}" for i in range(1, 4)]
    page.publish_broker(dest, later)
    page.wait_count("s", len(first + missed + later))
    time.sleep(0.3)
    assert_in_order_once(page.msgs("s"), first + missed + later)
    assert page.gaps("s") == []


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_cut_stream_resumes_exactly_once(page, transport):
    """The connection is closed under the page while messages keep coming."""
    page.allow_console(CUT_CONSOLE)
    dest = f"/topic/orders.{uid()}"
    first = start(page, transport, dest)
    path = "/events" if transport == "sse" else "/stomp"
    expected = list(first)
    for round_ in range(3):
        mark = len(page.states())
        stop = threading.Event()
        bodies = [f"r{round_}-{i}" for i in range(1, 11)]
        expected += bodies

        def publish_slowly(bodies=bodies):
            for b in bodies:
                page.publisher.send(dest, b, content_type="text/plain")
                time.sleep(0.03)
            page.publisher.flush()
            stop.set()

        t = threading.Thread(target=publish_slowly)
        t.start()
        time.sleep(0.1)
        assert page.cut(path) >= 1
        t.join(10)
        page.wait_state("resumed", after=mark)
        page.wait_count("s", len(expected))
    time.sleep(0.5)
    assert_in_order_once(page.msgs("s"), expected)
    reasons = {s.get("reason") for s in page.states() if s["state"] == "paused"}
    assert reasons <= {"disconnected", "network_error"}, page.states()


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_dead_proxy_is_noticed_by_the_heartbeat_watchdog(page, transport):
    """The connection stays open but carries nothing: after 2.5 heart-beat intervals the
    page reconnects and resumes."""
    page.allow_console(CUT_CONSOLE)
    dest = f"/topic/orders.{uid()}"
    first = start(page, transport, dest)
    path = "/events" if transport == "sse" else "/stomp"
    mark = len(page.states())
    frozen_at = time.monotonic()
    assert page.freeze(path) >= 1
    lost = [f"f{i}" for i in range(1, 6)]
    page.publish_broker(dest, lost)  # swallowed by the dead proxy
    paused = page.wait_state("paused", "heartbeat_timeout", after=mark, timeout=10)
    noticed = time.monotonic() - frozen_at
    assert 2.0 <= noticed <= 6.0, f"the watchdog took {noticed:.1f}s (heart-beat 1 s)"
    assert paused["retryInMs"] is not None and paused["retryInMs"] >= 0
    page.wait_state("resumed", after=mark)
    page.publish_broker(dest, ["g1"])
    page.wait_count("s", len(first + lost) + 1)
    time.sleep(0.3)
    assert_in_order_once(page.msgs("s"), first + lost + ["g1"])


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_gateway_shutting_down_is_reported_and_retried(open_page, fresh_gateway, transport):
    """SIGTERM: the gateway says shutting_down; the page pauses and keeps retrying, with backoff."""
    page = open_page()
    gw = fresh_gateway()
    page.allow_console(r"ERR_CONNECTION_REFUSED|WebSocket connection to .* failed|ERR_INCOMPLETE_CHUNKED_ENCODING")
    dest = f"/topic/orders.{uid()}"
    page.connect(url=gw.base_url, transport=transport, heartbeatMs=1000, tokenSpec=ALL, backoffBaseMs=200, backoffCapMs=1000)
    page.subscribe("s", dest, since="live")
    page.wait_state("open")
    time.sleep(0.3)
    mark = len(page.states())
    gw.stop()
    page.wait_state("paused", "shutting_down", after=mark)
    time.sleep(2.5)
    states = page.states()[mark:]
    assert all(s["state"] in ("paused", "connecting") for s in states), states
    # It keeps trying (the gateway is gone: connection refused), but not in a storm.
    attempts = [s for s in states if s["state"] == "connecting"]
    assert 1 <= len(attempts) <= 12, states
    assert page.errors("s") == [] or all(not e["fatal"] for e in page.errors("s"))
