"""Tokens expiring mid-stream, revoked grants, wrong Origin (issue 8, faults): cut off
with the documented reason (docs/BROWSER-PUSH.md): SSE `error` event `token_expired`
then the end of the stream; STOMP `ERROR` `message:token expired` with
`gateway-code:token_expired`; an in-band refresh whose token no longer grants a
subscribed destination → `ERROR` with `gateway-code:forbidden`; a wrong Origin → 403
`origin_not_allowed` on both transports."""

from __future__ import annotations

import json
import time

import pytest

import abuselib
from abuselib import read_http_response
from pushlib import BAD_ORIGIN, SSEClient, StompWS, mint, uid


@pytest.mark.hard_timeout(30)
def test_token_expiring_mid_stream_on_both_transports(agw, results):
    d = f"/topic/abuse.exp.{uid()}"
    exp = int(time.time()) + 3
    tok = mint(subscribe=[d], exp=exp)
    sse = SSEClient(agw, d, tok).open()
    ws = StompWS(agw)
    try:
        assert sse.status == 200
        assert ws.connect_stomp(tok).command == "CONNECTED"
        ws.subscribe(d, "s", receipt="r")
        assert ws.expect("RECEIPT").headers["receipt-id"] == "r"
        ev = sse.expect_event(exp + 4 - time.time(), "error token_expired", types=("error",))
        t_sse = time.time() - exp
        assert ev.json["code"] == "token_expired" and ev.json["message"], ev
        assert sse.wait_closed(3), "the SSE stream did not end after its error event"
        err = None
        while err is None:
            f = ws.recv_frame(max(0.1, exp + 4 - time.time()))
            err = f if f.command == "ERROR" else None
        t_ws = time.time() - exp
        assert err.headers["message"] == "token expired", err
        assert err.headers.get("gateway-code") == "token_expired", err
        ws.wait_closed(3)
        assert -0.5 <= t_sse <= 1.5 and -0.5 <= t_ws <= 1.5, (t_sse, t_ws)
        results.record("token_expiry", sse_cut_after_exp_s=round(t_sse, 2), ws_cut_after_exp_s=round(t_ws, 2),
                       sse_reason=ev.json["code"], ws_reason=f"{err.headers['message']} [{err.headers['gateway-code']}]")
    finally:
        sse.close()
        ws.close()


@pytest.mark.hard_timeout(30)
def test_refresh_revoking_a_subscribed_grant_is_forbidden(agw, results):
    a, b = f"/topic/abuse.rev.{uid()}", f"/topic/abuse.rev.{uid()}"
    ws = StompWS(agw)
    try:
        assert ws.connect_stomp(mint(subscribe=[a, b])).command == "CONNECTED"
        ws.subscribe(a, "sa", receipt="ra")
        ws.expect("RECEIPT")
        ws.send_frame("SEND", [("destination", "/gateway/token"), ("receipt", "t1")], mint(subscribe=[b]))
        f = ws.expect("ERROR")
        assert f.headers.get("gateway-code") == "forbidden", f
        assert a in f.headers["message"], f
        ws.wait_closed(5)
    finally:
        ws.close()
    # A refresh with an expired token is refused with its reason.
    ws = StompWS(agw)
    try:
        assert ws.connect_stomp(mint(subscribe=[a])).command == "CONNECTED"
        ws.send_frame("SEND", [("destination", "/gateway/token"), ("receipt", "t2")], mint(subscribe=[a], exp=int(time.time()) - 60))
        g = ws.expect("ERROR")
        assert g.headers.get("gateway-code") == "token_expired", g
        assert g.headers.get("receipt-id") == "t2", g
    finally:
        ws.close()
    results.record("revoked_grant_refresh", revoked=f"{f.headers['message']} [{f.headers['gateway-code']}]",
                   expired_refresh=f"{g.headers['message']} [{g.headers['gateway-code']}]")


@pytest.mark.hard_timeout(30)
def test_wrong_origin_is_403_on_both_transports(agw, results):
    d = f"/topic/public.abuse.{uid()}"
    sse = SSEClient(agw, d, origin=BAD_ORIGIN).open()
    assert sse.status == 403
    doc = sse.json_body()
    assert doc["error"] == "origin_not_allowed" and BAD_ORIGIN in doc["message"], doc
    s = abuselib.connect_from("127.0.0.1", agw)
    s.sendall(
        b"GET /stomp HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
        b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Protocol: v12.stomp\r\nOrigin: " + BAD_ORIGIN.encode() + b"\r\n\r\n"
    )
    code, _, body = read_http_response(s)
    s.close()
    assert code == 403 and json.loads(body)["error"] == "origin_not_allowed", (code, body)
    results.record("wrong_origin", sse=f"403 {doc['error']}", websocket=f"{code} {json.loads(body)['error']}")
