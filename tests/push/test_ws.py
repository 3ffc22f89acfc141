"""6. STOMP over WebSocket specifics: subprotocols, CONNECT/CONNECTED, receipts,
DISCONNECT, SEND to the broker (granted or not), in-band token refresh, heart-beats."""

from __future__ import annotations

import json
import re
import time

import pytest
from websockets.exceptions import InvalidStatus

from pushlib import BrokerSubscriber, StompWS, WSClosed, admin_token, mint, uid


# ----------------------------------------------------------------------------- subprotocols


@pytest.mark.parametrize(
    "offer,chosen",
    [
        (["v12.stomp", "v11.stomp"], "v12.stomp"),
        (["v11.stomp", "v12.stomp"], "v12.stomp"),
        (["v10.stomp", "v11.stomp"], "v11.stomp"),
        (["foo", "v10.stomp"], "v10.stomp"),
    ],
)
def test_subprotocol_highest_offered(embedded_gateway, ws, offer, chosen):
    w = ws(subprotocols=offer)
    assert w.subprotocol == chosen


def test_subprotocol_none_acceptable_is_400(embedded_gateway):
    with pytest.raises(InvalidStatus) as ei:
        StompWS(embedded_gateway, subprotocols=["foo"]).close()
    assert ei.value.response.status_code == 400, ei.value


def test_no_subprotocol_offered_is_accepted(embedded_gateway):
    # Clients that offer no subprotocol at all negotiate the version in CONNECT.
    w = StompWS(embedded_gateway, subprotocols=None)
    try:
        f = w.connect_stomp(None, heart_beat="0,0")
        assert f.command == "CONNECTED", f
    finally:
        w.close()


# ----------------------------------------------------------------------------- frames


def test_connect_with_passcode_token_gets_connected(gateway, ws):
    w = ws()
    f = w.connect_stomp(admin_token(), heart_beat="0,0")
    assert f.command == "CONNECTED", f
    assert f.headers.get("version") == "1.2", f
    assert re.fullmatch(r"\d+,\d+", f.headers.get("heart-beat", "")), f


def test_connect_version_follows_subprotocol_and_accept_version(embedded_gateway, ws):
    w = ws(subprotocols=["v11.stomp"])
    f = w.connect_stomp(admin_token(), accept_version="1.1")
    assert f.command == "CONNECTED" and f.headers.get("version") == "1.1", f


def test_receipt_for_subscribe(gateway, ws):
    w = ws()
    assert w.connect_stomp(admin_token()).command == "CONNECTED"
    w.subscribe(f"/topic/orders.{uid()}", receipt="sub-receipt-1")
    r = w.expect("RECEIPT")
    assert r.headers.get("receipt-id") == "sub-receipt-1", r


def test_disconnect_with_receipt_then_close(gateway, ws):
    w = ws()
    assert w.connect_stomp(admin_token()).command == "CONNECTED"
    w.send_frame("DISCONNECT", [("receipt", "bye-1")])
    r = w.expect("RECEIPT")
    assert r.headers.get("receipt-id") == "bye-1", r
    rest = w.wait_closed(5)
    assert rest == [], f"nothing may follow the DISCONNECT receipt: {rest}"


def test_ack_modes_accepted(gateway, feed, ws):
    f = feed()
    w = ws()
    assert w.connect_stomp(admin_token()).command == "CONNECTED"
    w.subscribe(f.destination, sub_id="c1", ack="client-individual", receipt="r1")
    frames = [w.recv_frame(5), w.recv_frame(5)]  # RECEIPT and the current status, in either order
    assert sorted(x.command for x in frames) == ["MESSAGE", "RECEIPT"], frames
    m = next(x for x in frames if x.command == "MESSAGE")
    ack_id = m.headers.get("ack") or m.headers["message-id"]
    w.send_frame("ACK", [("id", ack_id), ("receipt", "r-ack")])
    assert w.expect("RECEIPT").headers.get("receipt-id") == "r-ack"
    w.send_frame("NACK", [("id", ack_id), ("receipt", "r-nack")])
    assert w.expect("RECEIPT").headers.get("receipt-id") == "r-nack"


def test_large_message_arrives_whole(gateway, feed, ws, publisher):
    """A 100 KB MESSAGE may be sent as a fragmented WebSocket message; it must arrive whole."""
    f = feed()
    w = ws()
    assert w.connect_stomp(admin_token()).command == "CONNECTED"
    w.subscribe(f.destination, since="live", receipt="r1")
    assert w.expect("RECEIPT").command == "RECEIPT"
    time.sleep(0.2)
    body = json.dumps({"blob": "x" * 100_000, "end": "ok"})
    publisher.send(f.destination, body, content_type="application/json")
    [m] = w.messages(1, 10)
    assert m.text == body


# ----------------------------------------------------------------------------- SEND


def test_send_to_granted_destination_reaches_broker(gateway, ws):
    dest = f"/topic/orders.{uid()}.commands"
    sub = BrokerSubscriber(gateway.broker_url, gateway.kind, dest)
    try:
        w = ws()
        assert w.connect_stomp(mint(subscribe=[], publish=[dest])).command == "CONNECTED"
        body = json.dumps({"command": "cancel", "order": 42})
        w.send_frame("SEND", [("destination", dest), ("content-type", "application/json"), ("receipt", "s1")], body)
        r = w.expect("RECEIPT")
        assert r.headers.get("receipt-id") == "s1", r
        got = sub.get(5)
        assert got is not None, "the broker never got the SEND"
        headers, payload = got
        assert (payload.decode() if isinstance(payload, bytes) else payload) == body
        assert headers.get("content-type", "").startswith("application/json"), headers
    finally:
        sub.close()


def test_send_to_non_granted_destination_is_refused(gateway, ws, publisher):
    allowed = f"/topic/orders.{uid()}.commands"
    denied = f"/topic/orders.{uid()}.other"
    sub = BrokerSubscriber(gateway.broker_url, gateway.kind, denied)
    try:
        w = ws()
        assert w.connect_stomp(mint(publish=[allowed])).command == "CONNECTED"
        w.send_frame("SEND", [("destination", denied), ("receipt", "s1")], "must not arrive")
        f = w.recv_frame(5)
        assert f.command == "ERROR", f"SEND to a non-granted destination must get ERROR, got {f!r}"
        assert denied in f.headers.get("message", ""), f"the ERROR message should name {denied}: {f!r}"
        w.wait_closed(5)
        got = sub.get(1.0)
        assert got is None, f"the broker got the refused SEND: {got}"
        # The subscriber works: a direct publish arrives.
        publisher.send(denied, "marker")
        got = sub.get(5)
        assert got is not None and got[1] in (b"marker", "marker"), got
    finally:
        sub.close()


# ----------------------------------------------------------------------------- token refresh (broker-independent)


def test_in_band_token_refresh_receipt_and_new_expiry(embedded_gateway, ws):
    d = f"/topic/orders.{uid()}"
    w = ws()
    t_exp = time.time() + 2
    assert w.connect_stomp(mint(subscribe=[d], exp=t_exp)).command == "CONNECTED"
    w.subscribe(d, receipt="r-sub")
    assert w.expect("RECEIPT").headers.get("receipt-id") == "r-sub"
    w.send_frame("SEND", [("destination", "/gateway/token"), ("receipt", "r-tok")], mint(subscribe=[d], ttl=300))
    r = w.expect("RECEIPT")
    assert r.headers.get("receipt-id") == "r-tok", r
    # Past the first token's expiry the connection still runs (on the new token).
    left = t_exp + 1.2 - time.time()
    extra = w.quiet_for(max(0.0, left))
    assert not any(x.command == "ERROR" for x in extra), f"ERROR after a successful refresh: {extra}"
    assert not w.closed, "connection closed although the token was refreshed"
    w.subscribe(d, sub_id="sub-2", receipt="r-sub2")
    assert w.expect("RECEIPT").headers.get("receipt-id") == "r-sub2"


def test_in_band_refresh_with_narrower_grants_ends_uncovered_subscription(embedded_gateway, ws):
    a, b = f"/topic/orders.{uid()}", f"/topic/orders.{uid()}"
    w = ws()
    assert w.connect_stomp(mint(subscribe=[a, b])).command == "CONNECTED"
    w.subscribe(a, sub_id="sa", receipt="ra")
    assert w.expect("RECEIPT").headers.get("receipt-id") == "ra"
    w.send_frame("SEND", [("destination", "/gateway/token"), ("receipt", "r-tok")], mint(subscribe=[b]))
    frames = []
    while not any(f.command == "ERROR" for f in frames):
        try:
            frames.append(w.recv_frame(5))
        except (TimeoutError, WSClosed):
            break
    errors = [f for f in frames if f.command == "ERROR"]
    assert errors, f"the subscription to {a} (no longer granted) should end with ERROR; got {frames}"
    assert a in errors[0].headers.get("message", "") or errors[0].headers.get("subscription") == "sa", errors[0]


def test_in_band_refresh_with_invalid_token_is_refused(embedded_gateway, ws):
    w = ws()
    assert w.connect_stomp(admin_token()).command == "CONNECTED"
    bad = mint(subscribe=["/topic/**"], key="another-secret-of-more-than-32-bytes!!")
    w.send_frame("SEND", [("destination", "/gateway/token"), ("receipt", "r-bad")], bad)
    f = w.recv_frame(5)
    assert f.command == "ERROR", f"a refresh with a badly signed token must not be accepted: {f!r}"


# ----------------------------------------------------------------------------- heart-beats (broker-independent)


def test_server_heartbeats_when_negotiated(embedded_gateway, ws):
    w = ws()
    f = w.connect_stomp(admin_token(), heart_beat="0,1000")
    assert f.command == "CONNECTED", f
    sx = int(f.headers.get("heart-beat", "0,0").split(",")[0])
    assert sx > 0, f"server offers no heart-beats: {f!r}"
    t0 = time.monotonic()
    extra = w.quiet_for(3.0)
    assert not [x for x in extra if x.command != "MESSAGE"], extra
    beats = [t for t in w.heartbeats if t >= t0]
    assert len(beats) >= 2, f"expected >= 2 heart-beats in 3 s with heart-beat:0,1000 (CONNECTED said {f.headers.get('heart-beat')}), got {len(beats)}"


def test_no_heartbeats_when_not_asked(embedded_gateway, ws):
    w = ws()
    assert w.connect_stomp(admin_token(), heart_beat="0,0").command == "CONNECTED"
    t0 = time.monotonic()
    w.quiet_for(1.5)
    assert [t for t in w.heartbeats if t >= t0] == []


def test_silent_client_is_disconnected(embedded_gateway, ws):
    w = ws()
    f = w.connect_stomp(admin_token(), heart_beat="1000,0")
    assert f.command == "CONNECTED", f
    cy = int(f.headers.get("heart-beat", "0,0").split(",")[1])
    if cy == 0:
        pytest.fail(f"server does not ask for client heart-beats (CONNECTED {f.headers.get('heart-beat')})")
    interval = max(1000, cy) / 1000
    t0 = time.monotonic()
    w.wait_closed(2 * interval + 3)
    took = time.monotonic() - t0
    assert took >= interval, f"closed after {took:.1f}s, before the negotiated interval {interval}s"
