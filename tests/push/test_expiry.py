"""7. A token that expires mid-stream ends the connection (auth.leeway_seconds: 0)."""

from __future__ import annotations

import time

from pushlib import mint, uid


def test_sse_token_expiry_mid_stream(embedded_gateway, sse):
    d = f"/topic/orders.{uid()}"
    exp = int(time.time()) + 2
    c = sse(d, token=mint(subscribe=[d], exp=exp))
    assert c.status == 200, (c.status, c.body)
    ev = c.expect_event(exp + 4 - time.time(), "an error event (token_expired)", types=("error",))
    data = ev.json
    assert data.get("code") == "token_expired", data
    assert isinstance(data.get("message"), str) and data["message"], data
    assert time.time() >= exp - 0.5, "ended before the token's exp"
    assert c.wait_closed(3), "the stream must end after the error event"


def test_ws_token_expiry_mid_stream(embedded_gateway, ws):
    d = f"/topic/orders.{uid()}"
    exp = int(time.time()) + 2
    w = ws()
    assert w.connect_stomp(mint(subscribe=[d], exp=exp)).command == "CONNECTED"
    w.subscribe(d, receipt="r1")
    assert w.expect("RECEIPT").headers.get("receipt-id") == "r1"
    deadline = exp + 4
    err = None
    while time.time() < deadline and err is None:
        f = w.try_frame(max(0.05, deadline - time.time()))
        if f is None:
            break
        if f.command == "ERROR":
            err = f
    assert err is not None, "no ERROR within ~5 s of a token expiring mid-connection"
    assert "token expired" in err.headers.get("message", "").lower(), err
    assert time.time() >= exp - 0.5, "ended before the token's exp"
    w.wait_closed(3)
