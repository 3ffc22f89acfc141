"""2. Failure schedules: 5xx then success (same webhook-id, fresh timestamps), timeout
then success, 429/503 with Retry-After (seconds and HTTP date), redirects not
followed, 410 disables the endpoint until it is enabled again. Retry-After beyond
max_retry_after_seconds is capped."""

from __future__ import annotations

import email.utils
import json
import math
import time

from whlib import Reply, endpoint, read_queue, route, uid, wait_for


def _route(h, rcv, **ep):
    src, dlq = h.queue("src"), h.queue("dlq")
    return src, dlq, {"orders": route(src, {"crm": endpoint(rcv.url(), **ep)}, dead_letter=dlq)}


def test_server_errors_then_success_same_id_fresh_timestamps(h, broker):
    rcv = h.receiver(responder=lambda r: 500 if r.seen_before < 2 else 204)
    src, dlq, routes = _route(h, rcv, retry={"max_attempts": 5, "initial_delay_ms": 400, "max_delay_ms": 800})
    gw = h.gateway(routes)
    body = json.dumps({"n": uid()}).encode()
    h.publisher(gw).send(src, body, {"order-id": "o-1"})
    reqs = rcv.wait_count(3, 15, "3 attempts")
    extra = rcv.quiet(0.5)
    assert not extra, f"attempts after the 2xx: {extra}"
    reqs = rcv.snapshot()
    assert [r.status for r in reqs] == [500, 500, 204]
    assert [r.headers["x-webhook-attempt"] for r in reqs] == ["1", "2", "3"]
    assert len({r.webhook_id for r in reqs}) == 1, [r.webhook_id for r in reqs]
    assert all(r.body == body for r in reqs)
    for r in reqs:
        assert r.valid, r.error
        ts = int(r.headers["webhook-timestamp"])
        # Fresh per attempt: the second of the attempt itself (not the first attempt's).
        assert math.floor(r.wall) - 1 <= ts <= math.floor(r.wall) + 1, f"timestamp {ts} at receiver time {r.wall}"
        assert "x-stomp-redelivered" not in r.headers, "a retry is not a broker redelivery"
    # Full jitter: each delay is within [0, min(max_delay, initial * 2^(n-1))] (+ slack for the debug build).
    gaps = [b.t_recv - a.t_answer for a, b in zip(reqs, reqs[1:])]
    assert gaps[0] <= 0.4 + 0.5 and gaps[1] <= 0.8 + 0.5, f"delays beyond the backoff ceiling: {gaps}"
    wait_for(lambda: gw.routes()["orders"]["unacknowledged"] == 0, 10, "the message to be acknowledged")
    ep = gw.endpoint_status("orders", "crm")
    assert (ep["attempts"], ep["delivered"], ep["failures"], ep["dead_lettered"]) == (3, 1, 2, 0), ep
    assert gw.metric("gateway_webhook_failures_total", route="orders", endpoint="crm", **{"class": "http_5xx"}) == 2


def test_timeout_then_success(h, broker):
    rcv = h.receiver(responder=lambda r: Reply(504, delay=1.5) if r.seen_before == 0 else 204)
    src, dlq, routes = _route(h, rcv, timeout_ms=400, retry={"max_attempts": 5, "initial_delay_ms": 20, "max_delay_ms": 40})
    gw = h.gateway(routes)
    h.publisher(gw).send(src, b'{"slow": true}')
    first, second = rcv.wait_count(2, 15, "a retry after the timeout")[:2]
    assert first.webhook_id == second.webhook_id
    assert second.headers["x-webhook-attempt"] == "2"
    # The retry came while the first request was still unanswered: the gateway timed out.
    assert first.t_answer is None or second.t_recv < first.t_answer, "the retry waited for the slow answer: no timeout"
    assert second.t_recv - first.t_recv >= 0.35, f"retried {second.t_recv - first.t_recv:.3f}s after a 400 ms timeout"
    wait_for(lambda: gw.endpoint_status("orders", "crm")["delivered"] == 1, 10, "delivery on attempt 2")
    assert gw.metric("gateway_webhook_failures_total", route="orders", endpoint="crm", **{"class": "timeout"}) == 1
    time.sleep(1.3)  # the slow first answer arrives late; it must not count or cause anything
    assert len(rcv.snapshot()) == 2, rcv.snapshot()


def test_retry_after_seconds_and_http_date(h, broker):
    """Backoff alone would retry within 20 ms; Retry-After must replace it."""
    def respond(r):
        if r.seen_before:
            return 204
        if r.json["kind"] == "seconds":
            return Reply(429, headers={"Retry-After": "2"})
        if r.json["kind"] == "capped":  # max_retry_after_seconds: 1 caps it
            return Reply(429, headers={"Retry-After": "30"})
        if r.json["kind"] == "garbage":  # unreadable: the drawn backoff (<= 10 ms) applies
            return Reply(503, headers={"Retry-After": "soon"})
        # An HTTP date 3 s ahead (whole seconds): the retry comes 2 to 3 s later.
        return Reply(503, headers={"Retry-After": email.utils.formatdate(time.time() + 3, usegmt=True)})

    rcv = h.receiver(responder=respond)
    src, dlq, routes = _route(h, rcv, retry={"max_attempts": 5, "initial_delay_ms": 10, "max_delay_ms": 20})
    capped_src = h.queue("capped")
    routes["capped"] = route(capped_src, {"crm": endpoint(rcv.url(), retry={"initial_delay_ms": 10, "max_delay_ms": 20,
                                                                          "max_retry_after_seconds": 1})}, dead_letter=dlq)
    gw = h.gateway(routes)
    pub = h.publisher(gw)
    pub.publish(src, [(json.dumps({"kind": k}).encode(), None) for k in ("seconds", "date", "garbage")])
    pub.send(capped_src, json.dumps({"kind": "capped"}).encode())
    reqs = rcv.wait_count(8, 15, "the 4 messages retried once")
    for kind, low, high in (("seconds", 1.9, 3.5), ("date", 1.5, 4.0), ("capped", 0.9, 2.5), ("garbage", 0.0, 0.5)):
        a, b = [r for r in reqs if r.json["kind"] == kind][:2]
        gap = b.t_recv - a.t_answer
        assert low <= gap <= high, f"{kind}: retried {gap:.3f}s after Retry-After (expected {low}..{high})"
        assert b.ok and a.webhook_id == b.webhook_id
    assert gw.metric("gateway_webhook_failures_total", route="orders", endpoint="crm", **{"class": "http_429"}) == 1
    assert gw.metric("gateway_webhook_failures_total", route="capped", endpoint="crm", **{"class": "http_429"}) == 1
    assert gw.metric("gateway_webhook_failures_total", route="orders", endpoint="crm", **{"class": "http_unavailable"}) == 2


def test_redirect_is_not_followed(h, broker):
    rcv = h.receiver()
    rcv.responder = lambda r: Reply(302, headers={"Location": rcv.url("/redirect-target")}) if r.seen_before == 0 else 204
    src, dlq, routes = _route(h, rcv, retry={"max_attempts": 5, "initial_delay_ms": 50, "max_delay_ms": 100})
    gw = h.gateway(routes)
    h.publisher(gw).send(src, b'{"redirect": 1}')
    a, b = rcv.wait_count(2, 10, "a retry after the 302")[:2]
    assert (a.status, b.status) == (302, 204) and a.webhook_id == b.webhook_id
    time.sleep(0.3)
    assert not [r for r in rcv.snapshot(path=None) if r.path != "/hook"], "the redirect was followed"
    assert gw.metric("gateway_webhook_failures_total", route="orders", endpoint="crm", **{"class": "http_3xx"}) == 1
    wait_for(lambda: gw.endpoint_status("orders", "crm")["delivered"] == 1, 10, "delivery after the redirect")


def test_gone_disables_endpoint_until_enabled(h, broker):
    rcv = h.receiver(responder=lambda r: 410 if r.json.get("step") == "a" else 204)
    src, dlq, routes = _route(h, rcv, retry={"max_attempts": 5, "initial_delay_ms": 50})
    gw = h.gateway(routes)
    pub = h.publisher(gw)
    t0_ms = int(time.time() * 1000)
    body_a = json.dumps({"step": "a", "n": uid()}).encode()
    pub.send(src, body_a, {"order-id": "o-a"})
    [ra] = rcv.wait_count(1, 10, "the first POST")
    [(ha, ba)] = h.read_queue(dlq, gw, expect=1, timeout=10)
    assert ba == body_a
    assert ha["x-webhook-reason"] == "gone", ha
    assert ha["x-webhook-attempts"] == "1" and ha["x-webhook-last-status"] == "410", ha
    assert ha["x-webhook-id"] == ra.webhook_id and ha["x-webhook-endpoint"] == "crm" and ha["x-webhook-route"] == "orders", ha
    assert ha.get("order-id") == "o-a", ha
    assert len(rcv.snapshot()) == 1, "410 is not retried"

    ep = gw.endpoint_status("orders", "crm")
    assert ep["state"] == "disabled" and ep["disabled_reason"], ep
    assert t0_ms - 1000 <= ep["disabled_at"] <= time.time() * 1000 + 1000, ep
    assert gw.metric("gateway_webhook_disabled", route="orders", endpoint="crm") == 1
    assert gw.metric("gateway_webhook_failures_total", route="orders", endpoint="crm", **{"class": "http_410"}) == 1
    assert gw.metric("gateway_webhook_dead_lettered_total", route="orders", endpoint="crm", reason="gone") == 1

    # Disabled: the next message goes to the dead letters without a POST.
    body_b = json.dumps({"step": "b", "n": uid()}).encode()
    pub.send(src, body_b, {"order-id": "o-b"})
    [(hb, bb)] = h.read_queue(dlq, gw, expect=1, timeout=10)
    assert bb == body_b and hb["x-webhook-reason"] == "endpoint-disabled", hb
    assert hb["x-webhook-attempts"] == "0" and "x-webhook-last-status" not in hb, hb
    assert len(rcv.snapshot()) == 1, f"a disabled endpoint was POSTed to: {rcv.snapshot()}"
    assert gw.metric("gateway_webhook_dead_lettered_total", route="orders", endpoint="crm", reason="endpoint-disabled") == 1
    code, body = gw.admin("POST", "/admin/api/webhooks/orders/replay?endpoint=crm")
    assert code == 409, (code, body)

    # Enabled again: new messages are delivered.
    code, body = gw.admin("POST", "/admin/api/webhooks/orders/endpoints/crm/enable", header="x-admin-key")
    assert code == 200 and body["endpoint"]["state"] == "active" and body["endpoint"]["name"] == "crm", (code, body)
    assert gw.metric("gateway_webhook_disabled", route="orders", endpoint="crm") == 0
    body_c = json.dumps({"step": "c", "n": uid()}).encode()
    pub.send(src, body_c)
    rc = rcv.wait_answered(lambda r: r.body == body_c, 10, "the message after enabling")
    assert rc.status == 204
    wait_for(lambda: gw.routes()["orders"]["unacknowledged"] == 0, 10, "everything acknowledged")
    assert read_queue(h.broker_url(gw), h.broker_kind, dlq, quiet=0.3) == [], "unexpected dead letters"
