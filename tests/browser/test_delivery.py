"""Delivery: retained then live messages in order, `since`, unsubscribe, on both transports."""

from __future__ import annotations

import time

import pytest

from browserlib import assert_in_order_once, uid

ALL = {"subscribe": ["/topic/**"], "publish": ["/topic/**", "/queue/**"], "ttl": 600}
TRANSPORTS = ["sse", "websocket"]


def connect(page, transport: str, **extra) -> None:
    page.connect(transport=transport, heartbeatMs=1000, tokenSpec=ALL, **extra)


@pytest.mark.parametrize(
    "transport,cross_origin",
    [("sse", False), ("sse", True), ("websocket", False), ("websocket", True)],
    ids=["sse", "sse-cross-origin", "websocket", "websocket-cross-origin"],
)
def test_retained_then_live_in_order(open_page, transport, cross_origin):
    """Retained messages first (since=all: every one; default: the latest), then live ones, in order."""
    page = open_page(cross_origin=cross_origin)
    dest = f"/topic/orders.{uid()}"
    retained = [f"r{i}" for i in range(1, 4)]
    page.publish_broker(dest, retained)
    time.sleep(0.2)  # the gateway has numbered them
    connect(page, transport)
    page.subscribe("all", dest, since="all")
    page.subscribe("latest", dest)
    page.wait_count("all", 3)
    page.wait_count("latest", 1)
    page.wait_state("open")
    live = [f"l{i}" for i in range(1, 6)]
    page.publish_broker(dest, live)
    page.wait_count("all", 8)
    page.wait_count("latest", 6)
    time.sleep(0.3)  # nothing more comes
    assert_in_order_once(page.msgs("all"), retained + live)
    assert_in_order_once(page.msgs("latest"), retained[-1:] + live)
    m = page.msgs("all")[0]
    assert m["destination"] == dest
    assert m["headers"].get("content-type") == "text/plain"
    assert page.gaps("all") == [] and page.errors() == []
    states = [s["state"] for s in page.states()]
    assert states[0] == "connecting" and "open" in states and "paused" not in states, states


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_since_is_honoured(page, transport):
    """since=POSITION gives exactly what follows it; since=live only what is published later."""
    dest = f"/topic/orders.{uid()}"
    first = [f"m{i}" for i in range(1, 6)]
    page.publish_broker(dest, first)
    connect(page, transport)
    page.subscribe("all", dest, since="all")
    page.wait_count("all", 5)
    positions = [m["position"] for m in page.msgs("all")]
    page.subscribe("after2", dest, since=positions[1])
    page.subscribe("live", dest, since="live")
    page.subscribe("afterlast", dest, since=positions[-1])
    page.wait_count("after2", 3)
    page.wait_state("open")
    time.sleep(0.5)
    assert page.bodies("live") == [] and page.bodies("afterlast") == []
    page.publish_broker(dest, ["m6"])
    page.wait_count("live", 1)
    page.wait_count("afterlast", 1)
    page.wait_count("after2", 4)
    page.wait_count("all", 6)
    time.sleep(0.3)
    assert_in_order_once(page.msgs("after2"), ["m3", "m4", "m5", "m6"])
    assert page.msgs("after2")[0]["position"] == positions[2]
    assert page.bodies("live") == ["m6"]
    assert page.bodies("afterlast") == ["m6"]
    assert_in_order_once(page.msgs("all"), first + ["m6"])


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_unsubscribe_stops_delivery(page, transport):
    dest = f"/topic/orders.{uid()}"
    connect(page, transport)
    page.subscribe("gone", dest, since="live")
    page.subscribe("stays", dest, since="live")
    page.wait_state("open")
    time.sleep(0.3)
    page.publish_broker(dest, ["a1"])
    page.wait_count("gone", 1)
    page.wait_count("stays", 1)
    page.unsubscribe("gone")
    page.publish_broker(dest, ["a2", "a3"])
    page.wait_count("stays", 3)
    time.sleep(0.5)
    assert page.bodies("gone") == ["a1"]
    assert page.bodies("stays") == ["a1", "a2", "a3"]
    if transport == "sse":
        # The unsubscribed stream is closed: one /events connection left.
        assert len(page.live_connections("/events")) == 1, page.live_connections("/events")


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_quiet_stream_stays_open_on_heartbeats(page, transport):
    """Nothing published for 4 s (> 2.5 heart-beat intervals): the watchdog keeps quiet."""
    dest = f"/topic/orders.{uid()}"
    connect(page, transport)
    page.subscribe("s", dest, since="live")
    page.wait_state("open")
    time.sleep(4)
    states = [s["state"] for s in page.states()]
    assert states == ["connecting", "open"], page.states()
    page.publish_broker(dest, ["late"])
    assert page.wait_count("s", 1) == ["late"]
