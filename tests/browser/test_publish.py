"""Publishing over STOMP/WebSocket: the promise resolves on the RECEIPT (after the broker's)."""

from __future__ import annotations

import time

import pytest

from browserlib import assert_in_order_once, uid

TRANSPORTS = ["sse", "websocket"]


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_publish_resolves_after_receipt(page, transport):
    import pushlib

    topic, queue = f"/topic/orders.{uid()}", f"/queue/commands.{uid()}"
    page.connect(transport=transport, heartbeatMs=1000,
                 tokenSpec={"subscribe": [topic], "publish": [topic, queue], "ttl": 600})
    page.subscribe("s", topic, since="live")
    page.wait_state("open")
    time.sleep(0.3)
    broker = pushlib.BrokerSubscriber(page.gateway.broker_url, "embedded", queue)
    try:
        r = page.publish(queue, "command-1", {"x-trace": "abc"})
        assert r["ok"] is True and r["receipt"], r
        # Resolved after the broker's receipt: the broker has it.
        got = broker.get(timeout=5)
        assert got is not None, "the broker did not get the published message"
        headers, body = got
        assert body == b"command-1" and headers.get("x-trace") == "abc", got
    finally:
        broker.close()
    bodies = [f"p{i}" for i in range(5)]
    for b in bodies:
        r = page.publish(topic, b, {"content-type": "text/plain"})
        assert r["ok"], r
    page.wait_count("s", 5)
    assert_in_order_once(page.msgs("s"), bodies)
    # Objects go as JSON, bytes as bytes.
    assert page.publish(topic, {"status": "paid", "n": 1})["ok"]
    assert page.publish(topic, {"bytes": [255, 0, 1, 254]})["ok"]
    msgs = page.msgs("s") if len(page.msgs("s")) >= 7 else (page.wait_count("s", 7), page.msgs("s"))[1]
    assert msgs[5]["json"] == {"status": "paid", "n": 1} and msgs[5]["headers"]["content-type"] == "application/json"
    assert msgs[6]["isBinary"] is True and msgs[6]["bytes"] == [255, 0, 1, 254], msgs[6]
    # One WebSocket for everything (SSE: opened for publishing, then reused).
    assert len(page.requests("/stomp")) == 1


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_forbidden_publish_rejects_with_the_gateways_words(page, transport):
    topic, other = f"/topic/orders.{uid()}", f"/queue/elsewhere.{uid()}"
    page.connect(transport=transport, heartbeatMs=1000,
                 tokenSpec={"subscribe": [topic], "publish": [topic], "ttl": 600})
    page.subscribe("s", topic, since="live")
    page.wait_state("open")
    r = page.publish(other, "nope")
    assert r["ok"] is False and r["code"] == "forbidden", r
    assert r["message"] == f"not allowed to publish to {other}: no grant matches it", r
    # The connection comes back; publishing and the subscription work on.
    r = page.publish(topic, "yes")
    assert r["ok"] is True, r
    assert page.wait_count("s", 1) == ["yes"]
    time.sleep(0.5)
    assert page.bodies("s") == ["yes"]
    assert page.errors("s") == []


def test_publish_waits_for_the_connection_and_times_out(page):
    """Queued while the WebSocket connects; rejected with `timeout` when no RECEIPT comes."""
    topic = f"/topic/orders.{uid()}"
    page.connect(transport="websocket", heartbeatMs=1000, publishTimeoutMs=1500,
                 tokenSpec={"subscribe": [topic], "publish": [topic], "ttl": 600})
    # Right after connect(): the socket is not open yet; the SEND waits for CONNECTED.
    r = page.js("(d) => H.publish(d, 'early')", topic)
    assert r["ok"] is True, r
    page.context.set_offline(True)
    page.wait_state("paused", "offline")
    r = page.publish(topic, "while offline")
    assert r["ok"] is False and r["code"] == "timeout", r
    page.context.set_offline(False)
    page.wait_state("resumed")
    assert page.publish(topic, "after")["ok"] is True
