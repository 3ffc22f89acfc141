"""Errors reach the page (onError, the `error` and `state` events) with the gateway's own
words, and a refused subscription is not retried in a storm."""

from __future__ import annotations

import time

import pytest

from browserlib import uid

TRANSPORTS = ["sse", "websocket"]
# The browser's own console lines for a refused request (not the library's).
REFUSED_CONSOLE = r"the server responded with a status of 40[13]"


def test_forbidden_sse_subscription_reaches_onError(page):
    page.allow_console(REFUSED_CONSOLE)
    mine, other = f"/topic/orders.{uid()}", f"/topic/orders.{uid()}"
    page.connect(transport="sse", heartbeatMs=1000, tokenSpec={"subscribe": [mine], "ttl": 600})
    page.subscribe("ok", mine, since="live")
    page.subscribe("no", other, since="live")
    page.wait("() => H.subs.no.errors.length > 0", what="onError of the forbidden subscription")
    err = page.errors("no")[0]
    assert err["code"] == "forbidden" and err["status"] == 403 and err["fatal"] is True, err
    assert err["message"] == f"not allowed to subscribe to {other}: no grant matches it", err
    assert err["error"] == "forbidden" and err["destination"] == other
    ev = next(s for s in page.states() if s.get("reason") == "forbidden")
    assert ev["destination"] == other and ev["status"] == 403 and "not allowed" in ev["message"], ev
    assert [e["code"] for e in page.errors()] == ["forbidden"]
    # No retry storm: one EventSource request and one fetch to read the error, then nothing.
    time.sleep(3)
    refused = [r for r in page.requests("/events") if f"destination={other}" in r[2].replace("%2F", "/")]
    assert len(refused) == 2, refused
    # The other subscription is unaffected.
    page.wait_state("open")
    page.publish_broker(mine, ["still here"])
    assert page.wait_count("ok", 1) == ["still here"]
    assert page.state() == "open"
    assert page.errors("ok") == []


def test_forbidden_websocket_subscription_reaches_onError(page):
    """STOMP ends the whole connection on ERROR: the other subscriptions come back, resumed."""
    mine, other = f"/topic/orders.{uid()}", f"/topic/orders.{uid()}"
    page.connect(transport="websocket", heartbeatMs=1000, tokenSpec={"subscribe": [mine], "ttl": 600})
    page.subscribe("ok", mine, since="all")
    page.wait_state("open")
    time.sleep(0.3)
    page.publish_broker(mine, ["m1", "m2"])
    page.wait_count("ok", 2)
    page.subscribe("no", other, since="live")
    page.wait("() => H.subs.no.errors.length > 0", what="onError of the forbidden subscription")
    err = page.errors("no")[0]
    assert err["code"] == "forbidden" and err["fatal"] is True, err
    assert err["message"] == f"not allowed to subscribe to {other}: no grant matches it", err
    ev = next(s for s in page.states() if s.get("reason") == "forbidden")
    assert ev["destination"] == other
    page.publish_broker(mine, ["m3"])
    page.wait_count("ok", 3)
    time.sleep(2)
    assert page.bodies("ok") == ["m1", "m2", "m3"]
    assert len(page.requests("/stomp")) == 2, "one reconnect for the others, no storm"
    assert page.errors("ok") == []


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_invalid_token_is_unauthorized_after_one_fresh_token(page, transport):
    """getToken keeps giving a badly signed token: one retry with a fresh one, then it stops."""
    page.allow_console(REFUSED_CONSOLE)
    dest = f"/topic/orders.{uid()}"
    page.connect(transport=transport, heartbeatMs=1000, tokenSpec={"invalid": True})
    page.subscribe("s", dest, since="live")
    page.wait("() => H.subs.s.errors.length > 0", what="onError unauthorized")
    err = page.errors("s")[0]
    assert err["code"] == "unauthorized" and err["fatal"] is True, err
    assert "signature" in err["message"], err  # the gateway's reason
    page.wait_state("closed", "unauthorized")
    path = "/events" if transport == "sse" else "/stomp"
    n = len(page.requests(path))
    time.sleep(2)
    assert len(page.requests(path)) == n <= 4
    assert page.js("() => H.tokenCalls") == 2


def test_cross_origin_refusal_is_read_and_not_retried(open_page):
    """Across origins the gateway's 403 carries CORS headers for an allowed origin: the
    library reads the reason, reports `forbidden` once and does not retry."""
    page = open_page(cross_origin=True)
    page.allow_console(REFUSED_CONSOLE)
    other = f"/topic/orders.{uid()}"
    page.connect(transport="sse", heartbeatMs=1000, tokenSpec={"subscribe": ["/topic/nothing"], "ttl": 600},
                 backoffBaseMs=50, backoffCapMs=200, maxRefusals=3)
    page.subscribe("no", other, since="live")
    page.wait("() => H.subs.no.errors.length > 0", what="onError forbidden")
    err = page.errors("no")[0]
    assert err["code"] == "forbidden" and err["fatal"] is True and err["status"] == 403, err
    assert other in err["message"], err
    n = page.js("() => H.tokenCalls")
    time.sleep(1)
    assert page.js("() => H.tokenCalls") == n <= 2
    assert page.errors("no") == [err]
