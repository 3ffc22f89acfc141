"""1. Server-Sent Events: response headers, the retry hint, live delivery, JSON fields."""

from __future__ import annotations

import base64
import json
import signal
import time

import pytest

import pushlib
from pushlib import Gateway, SSEClient, admin_token, events_path, msg_body, parse_position, uid, wait_until

BOOKKEEPING = {"destination", "subscription", "message-id", "ack", "content-length"}


def check_message_json(ev, destination: str) -> dict:
    assert ev.type == "message", ev
    d = ev.json
    assert isinstance(d, dict), d
    assert d.get("destination") == destination, d
    assert isinstance(d.get("position"), str), d
    parse_position(d["position"])
    assert ev.id == d["position"], f"SSE id {ev.id!r} != position {d['position']!r}"
    assert isinstance(d.get("headers"), dict), d
    leaked = BOOKKEEPING & {k.lower() for k in d["headers"]}
    assert not leaked, f"STOMP bookkeeping headers leaked into 'headers': {leaked} in {d['headers']}"
    assert isinstance(d.get("body"), str), d
    return d


def test_response_headers_retry_first_and_live_message(gateway, feed, sse, publisher):
    f = feed()
    c = sse(f.destination, token=admin_token())
    assert c.status == 200, (c.status, c.body)
    ct = c.headers.get("content-type", "")
    assert ct.split(";")[0].strip().lower() == "text/event-stream", ct
    assert "charset=utf-8" in ct.lower().replace(" ", ""), ct
    assert "no-store" in c.headers.get("cache-control", "").lower(), c.headers
    assert c.headers.get("x-accel-buffering", "").strip().lower() == "no", c.headers

    # The current status (the holder's latest message) comes first...
    first = c.expect_event(5, "the retained latest message")
    assert wait_until(lambda: c.first_line is not None, 1)
    assert c.first_line.startswith("retry:"), f"the stream must start with a retry: line, got {c.first_line!r}"
    # sse.retry_ms plus up to 100% jitter
    assert c.retries and pushlib.SSE_RETRY_MS <= c.retries[0] <= 2 * pushlib.SSE_RETRY_MS, c.retries
    d0 = check_message_json(first, f.destination)
    assert (d0["position"], msg_body(first)) == f.latest

    # ...then a live one, numbered next.
    body = json.dumps({"order": 42, "status": "paid", "note": "ünïcødé"})
    publisher.send(f.destination, body, content_type="application/json", headers={"x-shop-trace": "abc-123"})
    ev = c.expect_event(5, "the live message")
    d = check_message_json(ev, f.destination)
    assert d["body"] == body
    assert "bodyEncoding" not in d, d
    assert d["headers"].get("content-type", "").startswith("application/json"), d["headers"]
    assert d["headers"].get("x-shop-trace") == "abc-123", d["headers"]
    e0, s0 = parse_position(d0["position"])
    e1, s1 = parse_position(d["position"])
    assert e1 == e0 and s1 == s0 + 1, (d0["position"], d["position"])


def test_non_utf8_body_is_base64(gateway, feed, sse, publisher):
    f = feed()
    c = sse(f.destination, token=admin_token(), since="live")
    c.quiet_for(0.3)
    raw = b"\xff\xfe\x00\x01binary\x80"
    publisher.send(f.destination, raw, content_type="application/octet-stream")
    ev = c.expect_event(5, "the binary message", types=("message",))
    d = check_message_json(ev, f.destination)
    assert d.get("bodyEncoding") == "base64", d
    assert base64.b64decode(d["body"]) == raw


def test_multiline_body_survives(gateway, feed, sse, publisher):
    f = feed()
    c = sse(f.destination, token=admin_token(), since="live")
    c.quiet_for(0.3)
    body = "line one\nline two\r\n\ndata: not a field\n"
    publisher.send(f.destination, body, content_type="text/plain")
    ev = c.expect_event(5, "the multi-line message", types=("message",))
    assert check_message_json(ev, f.destination)["body"] == body


def test_heartbeat_comment(embedded_gateway, sse):
    c = sse(f"/topic/public.{uid()}")
    assert c.status == 200, (c.status, c.body)
    assert wait_until(lambda: any("heartbeat" in t for _, t in c.comments), 2.5), (
        f"no ': heartbeat' comment within 2.5 s with sse.heartbeat_seconds: 1 (comments: {c.comments})"
    )


@pytest.mark.parametrize("token_via", ["header", "cookie"])
def test_token_in_header_or_cookie(embedded_gateway, sse, token_via):
    d = f"/topic/orders.{uid()}"
    c = sse(d, token=pushlib.mint(subscribe=[d]), token_via=token_via)
    assert c.status == 200, (c.status, c.body)


def _error_json(c: SSEClient, status: int) -> dict:
    assert c.status == status, f"expected HTTP {status}, got {c.status} {c.body[:300]!r}"
    assert c.headers.get("content-type", "").lower().startswith("application/json"), c.headers
    body = c.json_body()
    assert isinstance(body.get("error"), str) and body["error"], body
    assert isinstance(body.get("message"), str) and body["message"], body
    return body


def test_bad_requests_are_400(embedded_gateway, sse):
    tok = admin_token()
    # no destination
    _error_json(sse([], token=tok, path="/events?" + "access_token=" + tok), 400)
    d = f"/topic/orders.{uid()}"
    # invalid since / Last-Event-ID
    _error_json(sse(d, token=tok, since="not a position!"), 400)
    _error_json(sse(d, token=tok, last_event_id="bogus-x"), 400)
    _error_json(sse(d, token=tok, since="abc-12,def-3"), 400)  # two positions for one destination
    # ?heartbeat= other than comment or event, named in the message
    body = _error_json(sse(d, token=tok, path=f"/events?destination={d}&heartbeat=evnt&access_token={tok}"), 400)
    assert "heartbeat" in body["message"], body
    # too many destinations (http.max_subscriptions_per_connection default 100)
    many = [f"/topic/orders.{uid()}.{i}" for i in range(101)]
    _error_json(sse(many, token=tok), 400)


def test_sigterm_ends_streams_with_shutting_down(tmp_path):
    gw = Gateway("embedded", tmp_path, pushlib.base_config(), name="gateway-sigterm").start()
    try:
        c = SSEClient(gw, f"/topic/public.{uid()}").open()
        assert c.status == 200
        c.quiet_for(0.3)
        gw.proc.send_signal(signal.SIGTERM)
        ev = c.expect_event(10, "an error event (shutting_down)", types=("error",))
        assert ev.json.get("code") == "shutting_down", ev
        assert c.wait_closed(10), "stream not closed after the shutting_down error"
        c.close()
        t0 = time.monotonic()
        rc = gw.stop(timeout=15)
        assert rc == 0, f"exit code {rc} after SIGTERM ({time.monotonic() - t0:.1f}s)\n{gw.diagnostics()}"
    finally:
        gw.kill()
