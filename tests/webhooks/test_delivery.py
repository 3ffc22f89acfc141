"""1. Delivery basics: the body as is, content-type, Standard Webhooks headers (two
secrets: two v1 signatures, each verifiable on its own), the x-stomp-* mapping, the
webhook-id sources, and no header injection."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import time

from standardwebhooks.webhooks import Webhook

from whlib import Reply, endpoint, new_secret, route, uid, wait_for, x_stomp_headers

TRANSPORT = {"ack", "subscription", "content-length", "message-id", "destination", "content-type", "redelivered", "receipt"}


def _expected_sig(secret: str, wid: str, ts: str, body: bytes) -> str:
    key = base64.b64decode(secret.removeprefix("whsec_"))
    return "v1," + base64.b64encode(hmac.new(key, f"{wid}.{ts}.".encode() + body, hashlib.sha256).digest()).decode()


def test_delivery_basics(h, broker):
    s1, s2 = new_secret(), new_secret()
    rcv = h.receiver(secrets=[s1, s2])
    src, ids_src = h.queue("basics"), h.queue("ids")
    gw = h.gateway({
        "basics": route(src, {"crm": endpoint(rcv.url(), [s1, s2], retry={"max_attempts": 3, "initial_delay_ms": 50})}),
        "ids": route(ids_src, {"crm": endpoint(rcv.url("/hook"), [s1, s2])}, id_header="event-id"),
    })
    pub = h.publisher(gw)
    marker = uid()
    json_body = json.dumps({"order": "o-1", "marker": marker, "total": "12.50"}).encode()
    text_body = f"{marker} bin\x00\x01\x02\x7f é ß 漢字 🎉 \r\n tail".encode("utf-8")  # valid UTF-8 with NUL/control bytes
    raw_body = marker.encode() + bytes(range(256))  # not UTF-8 (verified over raw bytes)
    amqp_id = f"amqp-{uid()}"
    pub.publish(src, [(json_body, {
        "Order-ID": "o-1",
        "type": "paid",
        "x-colon": "a:b\\c",
        "x-city": "Zürich",
        "x-evil": "ok\r\nx-injected: yes",
        "x-lf": "line1\nx-injected2: yes",
    })], content_type="application/json")
    pub.publish(src, [(text_body, {"kind": "text"})], content_type="text/plain; charset=utf-8")
    pub.publish(src, [(raw_body, {"kind": "raw"})], content_type=None)
    pub.publish(src, [(b"with-amqp-id " + marker.encode(), {"amqp-message-id": amqp_id})], content_type="text/plain")
    event_id = f"evt-{uid()}"
    pub.publish(ids_src, [(b"with-event-id " + marker.encode(), {"event-id": event_id, "amqp-message-id": f"amqp-{uid()}"})], content_type="text/plain")
    pub.publish(ids_src, [(b"without-event-id " + marker.encode(), {})], content_type="text/plain")

    reqs = rcv.wait_count(6, 20, "6 deliveries")
    time.sleep(0.3)
    reqs = rcv.snapshot()
    assert len(reqs) == 6, f"expected exactly 6 POSTs (all answered 204), got {reqs}"
    by_body = {r.body: r for r in reqs}

    # -- the JSON message
    r = by_body.get(json_body)
    assert r is not None, f"the JSON body did not arrive byte for byte; got {[x.body for x in reqs]}"
    assert r.headers["content-type"] == "application/json"
    wid, ts, sig = r.headers["webhook-id"], r.headers["webhook-timestamp"], r.headers["webhook-signature"]
    if h.broker_kind == "embedded":
        assert wid == r.headers["x-stomp-message-id"], "embedded broker: webhook-id is the broker message-id"
    else:
        assert re.fullmatch(r"msg_[0-9a-f]{32}", wid), f"RabbitMQ without an id: webhook-id is msg_+digest, got {wid!r}"
    assert re.fullmatch(r"[0-9]+", ts) and abs(int(ts) - r.wall) <= 5, f"webhook-timestamp {ts} vs receiver clock {r.wall}"
    parts = sig.split(" ")
    assert parts == [_expected_sig(s1, wid, ts, json_body), _expected_sig(s2, wid, ts, json_body)], sig
    hdrs = {"webhook-id": wid, "webhook-timestamp": ts, "webhook-signature": sig}
    Webhook(s1).verify(json_body, hdrs, json_parse=False)
    Webhook(s2).verify(json_body, hdrs, json_parse=False)
    # A tampered body fails under both secrets.
    for s in (s1, s2):
        try:
            Webhook(s).verify(json_body + b" ", hdrs, json_parse=False)
        except Exception:  # noqa: BLE001
            pass
        else:
            raise AssertionError("a tampered body verified")
    assert r.headers["x-stomp-destination"] == src
    assert r.headers.get("x-stomp-message-id"), "x-stomp-message-id missing"
    assert "x-stomp-redelivered" not in r.headers, "first delivery marked redelivered"
    assert r.headers["x-webhook-attempt"] == "1"
    xs = x_stomp_headers(r)
    assert xs.get("x-stomp-header-order-id") == "o-1", xs
    assert xs.get("x-stomp-header-type") == "paid", xs
    assert xs.get("x-stomp-header-x-colon") == "a:b\\c", xs
    assert xs.get("x-stomp-header-x-city") == "Zürich", xs
    # Values with CR/LF are dropped, never split into headers of their own.
    assert "x-stomp-header-x-evil" not in xs and "x-stomp-header-x-lf" not in xs, xs
    names = [k.lower() for k, _ in r.header_list]
    assert not any("injected" in n for n in names), f"header injection: {r.header_list}"
    assert not any("injected" in v for _, v in r.header_list), f"header injection: {r.header_list}"
    assert len(names) == len(set(names)), f"a header was sent twice: {r.header_list}"
    for t in TRANSPORT:
        assert f"x-stomp-header-{t}" not in xs, f"per-delivery header {t} mapped: {xs}"
    for k, v in r.header_list:
        assert "\r" not in v and "\n" not in v and "\x00" not in v

    # -- UTF-8 text with NUL and control bytes
    r = by_body.get(text_body)
    assert r is not None, "the UTF-8 body with NUL/control bytes did not arrive byte for byte"
    assert r.headers["content-type"] == "text/plain; charset=utf-8"
    assert x_stomp_headers(r).get("x-stomp-header-kind") == "text"

    # -- raw bytes, no content-type
    r = by_body.get(raw_body)
    assert r is not None, "the binary body did not arrive byte for byte"
    assert r.headers["content-type"] == "application/octet-stream"
    assert r.headers["webhook-signature"].split(" ") == [
        _expected_sig(s, r.headers["webhook-id"], r.headers["webhook-timestamp"], raw_body) for s in (s1, s2)
    ]

    # -- webhook-id sources
    r = by_body[b"with-amqp-id " + marker.encode()]
    assert r.headers["webhook-id"] == amqp_id, "amqp-message-id gives the webhook-id"
    r = by_body[b"with-event-id " + marker.encode()]
    assert r.headers["webhook-id"] == event_id, "the route's id_header wins over amqp-message-id"
    assert r.headers["x-stomp-destination"] == ids_src
    r = by_body[b"without-event-id " + marker.encode()]
    if h.broker_kind == "embedded":
        assert r.headers["webhook-id"] == r.headers["x-stomp-message-id"]
    else:
        assert re.fullmatch(r"msg_[0-9a-f]{32}", r.headers["webhook-id"])
    ids = [x.headers["webhook-id"] for x in reqs]
    assert len(set(ids)) == 6, f"distinct messages share a webhook-id: {ids}"

    # Every message acknowledged; nothing dead-lettered.
    def settled():
        routes = gw.routes()
        return all(rt["unacknowledged"] == 0 and rt["endpoints"][0]["delivered"] == n and rt["endpoints"][0]["dead_lettered"] == 0
                   for rt, n in ((routes["basics"], 4), (routes["ids"], 2)))
    wait_for(settled, 10, "every message acknowledged (admin API unacknowledged 0, delivered 4 + 2)")


def test_prefetch_bounds_messages_in_hand(h, broker):
    """prefetch 4 with max_concurrency 8: never more than 4 messages taken and unacknowledged."""
    rcv = h.receiver(responder=lambda r: Reply(204, delay=0.15))
    src = h.queue("prefetch")
    gw = h.gateway({"orders": route(src, {"crm": endpoint(rcv.url(), max_concurrency=8)}, prefetch=4)})
    h.publisher(gw).publish(src, [(json.dumps({"i": i}).encode(), None) for i in range(16)])
    seen_unacked = []
    deadline = time.monotonic() + 20
    while len([r for r in rcv.snapshot() if r.ok]) < 16:
        assert time.monotonic() < deadline, f"only {len(rcv.snapshot())} of 16 delivered"
        seen_unacked.append(gw.routes()["orders"]["unacknowledged"])
        time.sleep(0.03)
    assert rcv.max_in_flight == 4, f"{rcv.max_in_flight} requests in flight at once with prefetch 4"
    assert max(seen_unacked) <= 4, f"unacknowledged went up to {max(seen_unacked)} with prefetch 4"
    assert sorted(r.json["i"] for r in rcv.snapshot()) == list(range(16))


def test_large_response_bodies_do_not_break_deliveries(h, broker):
    """Receivers may answer with big bodies (2xx or errors); each message is still
    delivered exactly once, retried only after the error answers."""
    big = b"x" * (512 * 1024)
    rcv = h.receiver(responder=lambda r: Reply(500, body=big) if r.json["i"] % 2 and r.seen_before == 0 else Reply(200, body=big))
    src = h.queue("bigbody")
    gw = h.gateway({"orders": route(src, {"crm": endpoint(rcv.url(), max_concurrency=2, retry={"initial_delay_ms": 20, "max_delay_ms": 40})})})
    h.publisher(gw).publish(src, [(json.dumps({"i": i}).encode(), None) for i in range(8)])
    wait_for(lambda: gw.endpoint_status("orders", "crm")["delivered"] == 8, 20, "8 deliveries")
    wait_for(lambda: gw.routes()["orders"]["unacknowledged"] == 0, 10, "everything acknowledged")
    time.sleep(0.3)
    counts = {}
    for r in rcv.snapshot():
        counts[r.json["i"]] = counts.get(r.json["i"], 0) + 1
    assert counts == {i: 2 if i % 2 else 1 for i in range(8)}, counts
    ep = gw.endpoint_status("orders", "crm")
    assert (ep["attempts"], ep["failures"]) == (12, 4), ep
    last = ep["recent_failures"][-1]
    assert last["status"] == 500 and len(last["error"]) <= 300, last


def test_embedded_message_ids_stay_unique_across_broker_restarts(h):
    """The embedded broker's message-id is the webhook-id: a restarted broker must not
    hand out an id a receiver has already seen (it would drop the message as a duplicate)."""
    rcv = h.receiver()
    ids = []
    for n in range(2):
        src = h.queue("restart-ids")
        gw = h.gateway({"orders": route(src, {"crm": endpoint(rcv.url())})}, name=f"gw-{n}")
        h.publisher(gw).publish(src, [(json.dumps({"n": n, "i": i}).encode(), None) for i in range(3)])
        rcv.wait_count(3 * (n + 1), 10, f"the deliveries of gateway {n}")
        assert gw.stop() == 0
        gw.stopped_by_test = True
    ids = [r.webhook_id for r in rcv.snapshot()]
    assert len(set(ids)) == 6, f"webhook-ids repeat across embedded broker restarts: {ids}"
