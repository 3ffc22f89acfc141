"""The heart-beat watchdog survives timer throttling: it compares the wall clock with the
last activity whenever it gets to run (a timer tick, `visibilitychange` to visible,
`online`), instead of counting on timers firing on time.

Playwright's fake clock stands in for a background tab whose timers are frozen (a
throttled tab, a sleeping laptop): ``pause_at`` stops the page's timers and clock,
``set_system_time`` moves the wall clock without firing any timer, ``fast_forward``
jumps and fires each due timer at most once, ``resume`` lets time flow again. The
network is a dead proxy meanwhile (the front black-holes the stream).
"""

from __future__ import annotations

import time

import pytest

from browserlib import assert_in_order_once, uid

ALL = {"subscribe": ["/topic/**"], "ttl": 600}


@pytest.mark.parametrize(
    "transport,wake",
    [("sse", "visibilitychange"), ("websocket", "visibilitychange"), ("sse", "timer"), ("websocket", "online")],
)
def test_sleeping_tab_notices_the_dead_stream_when_it_wakes(open_page, transport, wake):
    page = open_page(clock=True)
    page.allow_console(r"ERR_INCOMPLETE_CHUNKED_ENCODING|WebSocket connection to .* failed")
    dest = f"/topic/orders.{uid()}"
    page.connect(transport=transport, heartbeatMs=1000, tokenSpec=ALL, backoffBaseMs=200)
    page.subscribe("s", dest, since="live")
    page.wait_state("open")
    time.sleep(0.3)
    page.publish_broker(dest, ["a1", "a2"])
    page.wait_count("s", 2)

    # The tab goes to sleep: timers stop; the network dies under it.
    now_ms = page.js("() => Date.now()")
    page.page.clock.pause_at((now_ms + 20) / 1000)
    assert page.freeze("/events" if transport == "sse" else "/stomp") >= 1
    lost = ["b1", "b2", "b3"]
    page.publish_broker(dest, lost)
    mark = len(page.states())
    time.sleep(1.5)
    assert page.states()[mark:] == [], "nothing can be noticed while the timers are frozen"

    # 40 s later by the wall clock, the tab wakes.
    if wake == "timer":
        page.page.clock.fast_forward(40000)  # the ticker fires once, late
    else:
        page.page.clock.set_system_time((now_ms + 40000) / 1000)  # no timer fires
        event = "visibilitychange" if wake == "visibilitychange" else "online"
        target = "document" if event == "visibilitychange" else "window"
        page.js(f"() => {target}.dispatchEvent(new Event('{event}'))")
    states = page.states()[mark:]
    assert states and states[0]["state"] == "paused" and states[0]["reason"] == "heartbeat_timeout", (
        f"the first look at the clock after waking must find the stream dead: {states}"
    )
    page.page.clock.resume()
    page.wait_state("resumed", after=mark)
    page.publish_broker(dest, ["c1"])
    page.wait_count("s", 6)
    time.sleep(0.3)
    assert_in_order_once(page.msgs("s"), ["a1", "a2"] + lost + ["c1"])
