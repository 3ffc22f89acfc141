"""Tokens: refreshed with getToken before they expire (SSE: a new stream resuming from the
last position; WebSocket: SEND /gateway/token in-band), replaced when refused, and a
static token's expiry reported."""

from __future__ import annotations

import threading
import time

import pytest

from browserlib import assert_in_order_once, mint, uid

TRANSPORTS = ["sse", "websocket"]


def publish_steadily(page, dest, bodies, every=0.08):
    def run():
        for b in bodies:
            page.publisher.send(dest, b, content_type="text/plain")
            time.sleep(every)
        page.publisher.flush()

    t = threading.Thread(target=run)
    t.start()
    return t


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_short_lived_tokens_are_refreshed_without_loss(page, transport):
    """Tokens live 4 s; messages flow for ~9 s: refreshed in time, nothing lost or repeated."""
    dest = f"/topic/orders.{uid()}"
    spec = {"subscribe": [dest], "publish": [], "ttl": 4}
    page.connect(transport=transport, heartbeatMs=1000, tokenSpec=spec)
    page.subscribe("s", dest, since="live")
    page.wait_state("open")
    time.sleep(0.3)
    events_before = len(page.requests("/events"))
    bodies = [f"t{i}" for i in range(110)]
    t = publish_steadily(page, dest, bodies)
    t.join(30)
    page.wait_count("s", len(bodies), timeout=15)
    time.sleep(0.3)
    assert_in_order_once(page.msgs("s"), bodies)
    calls = page.js("() => H.tokenCalls")
    assert calls >= 4, f"getToken was called {calls} times in ~9 s of 4-second tokens"
    # Refreshed before expiry: the gateway never had to end a stream.
    states = [(s["state"], s.get("reason")) for s in page.states()]
    assert states == [("connecting", "start"), ("open", "connected")], states
    assert page.errors() == [], page.errors()
    if transport == "sse":
        renewals = len(page.requests("/events")) - events_before
        assert renewals >= calls - 2, f"{renewals} new streams for {calls} tokens"
        assert len(page.live_connections("/events")) == 1
    else:
        assert len(page.requests("/stomp")) == 1, "the WebSocket was refreshed in-band, not reopened"


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_refused_token_is_replaced_once(page, transport):
    """The first token is refused (bad signature): getToken is asked again, and the stream opens."""
    page.allow_console(r"status of 401")
    dest = f"/topic/orders.{uid()}"
    good = {"subscribe": [dest], "ttl": 600}
    page.connect(transport=transport, heartbeatMs=1000, tokenSpec={"sequence": [{"invalid": True}, good]})
    page.subscribe("s", dest, since="live")
    page.wait_state("open")
    time.sleep(0.3)
    page.publish_broker(dest, ["x1", "x2"])
    assert page.wait_count("s", 2) == ["x1", "x2"]
    assert page.js("() => H.tokenCalls") == 2


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_static_token_expiry_is_reported(page, transport):
    """A token without getToken: at its expiry the subscription stops with token_expired."""
    dest = f"/topic/orders.{uid()}"
    token = mint([dest], ttl=3)
    page.connect(transport=transport, heartbeatMs=1000, token=token)
    page.subscribe("s", dest, since="live")
    page.wait_state("open")
    time.sleep(0.3)
    page.publish_broker(dest, ["before"])
    page.wait_count("s", 1)
    page.wait("() => H.subs.s.errors.length > 0", timeout=8, what="token_expired on the subscription")
    err = page.errors("s")[0]
    assert err["code"] == "token_expired" and err["fatal"] is True, err
    assert "expired" in err["message"]
    last = page.wait_state("closed", "token_expired")
    assert last["state"] == "closed"
    # No retries afterwards.
    n = len(page.requests("/events" if transport == "sse" else "/stomp"))
    time.sleep(1.5)
    assert len(page.requests("/events" if transport == "sse" else "/stomp")) == n
    assert len(page.errors("s")) == 1
