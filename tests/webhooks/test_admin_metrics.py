"""7. Admin API authentication (401/403), enable/disable/replay errors, the status
document, /readyz, and metrics consistent with what the receiver saw."""

from __future__ import annotations

import json
import time

from whlib import ADMIN_KEY, Reply, endpoint, route, uid, wait_for

ADMIN_CALLS = [
    ("GET", "/admin/api/webhooks"),
    ("GET", "/admin/api/webhooks/dead-letters"),
    ("POST", "/admin/api/webhooks/orders/replay?endpoint=crm"),
    ("POST", "/admin/api/webhooks/orders/endpoints/crm/enable"),
    ("POST", "/admin/api/webhooks/orders/endpoints/crm/disable"),
]


def test_admin_api_auth_and_errors(h):
    """Broker-independent: embedded broker only."""
    rcv = h.receiver()
    src = h.queue("src")
    routes = {"orders": route(src, {"crm": endpoint(rcv.url())})}
    gw = h.gateway(routes)
    for method, path in ADMIN_CALLS:
        status, headers, body = gw.http(method, path)
        assert status == 401, (method, path, status, body)
        assert headers.get("www-authenticate", "").lower().startswith("bearer"), (path, headers)
        for hdr in ({"Authorization": "Bearer wrong-key-0123456789"}, {"X-Admin-Key": "wrong-key-0123456789"},
                    {"Authorization": f"Basic {ADMIN_KEY}"}, {"Authorization": f"Bearer {ADMIN_KEY}x"}):
            status, _, body = gw.http(method, path, headers=hdr)
            assert status == 401, (method, path, hdr, status, body)
    # Both ways of giving the key work.
    assert gw.admin("GET", "/admin/api/webhooks")[0] == 200
    code, doc = gw.admin("GET", "/admin/api/webhooks", header="x-admin-key")
    assert code == 200
    [rt] = doc["routes"]
    assert {"name", "source", "dead_letter", "subscribed", "unacknowledged", "filtered", "endpoints", "recent_dead_letters", "replays"} <= set(rt), rt
    assert rt["name"] == "orders" and rt["source"] == src and rt["dead_letter"] == "/queue/stomp-gateway.dead-letters.orders", rt
    assert rt["subscribed"] is True and rt["unacknowledged"] == 0 and rt["filtered"] == 0
    [ep] = rt["endpoints"]
    assert {"name", "url", "state", "in_flight", "waiting", "attempts", "delivered", "failures", "dead_lettered", "recent_failures"} <= set(ep), ep
    assert ep["url"] == rcv.url() and ep["state"] == "active"

    # Not found / bad requests.
    assert gw.admin("POST", "/admin/api/webhooks/nope/replay")[0] == 404
    assert gw.admin("POST", "/admin/api/webhooks/orders/replay?endpoint=nope")[0] == 404
    assert gw.admin("POST", "/admin/api/webhooks/nope/endpoints/crm/enable")[0] == 404
    assert gw.admin("POST", "/admin/api/webhooks/orders/endpoints/nope/disable")[0] == 404
    assert gw.admin("POST", "/admin/api/webhooks/orders/replay?limit=0")[0] == 400

    # Disable by hand: messages are dead-lettered without a POST; enable: delivered again.
    code, body = gw.admin("POST", "/admin/api/webhooks/orders/endpoints/crm/disable")
    assert code == 200 and body["endpoint"]["state"] == "disabled" and body["endpoint"]["disabled_reason"], body
    assert gw.metric("gateway_webhook_disabled", route="orders", endpoint="crm") == 1
    assert gw.admin("POST", "/admin/api/webhooks/orders/replay?endpoint=crm")[0] == 409
    pub = h.publisher(gw)
    pub.send(src, b'{"while": "disabled"}')
    wait_for(lambda: gw.metric("gateway_webhook_dead_lettered_total", route="orders", endpoint="crm", reason="endpoint-disabled") == 1,
             10, "the message dead-lettered as endpoint-disabled")
    code, body = gw.admin("POST", "/admin/api/webhooks/orders/endpoints/crm/enable")
    assert code == 200 and body["endpoint"]["state"] == "active" and body["endpoint"].get("disabled_reason") is None, body
    assert gw.metric("gateway_webhook_disabled", route="orders", endpoint="crm") == 0
    pub.send(src, b'{"after": "enabled"}')
    rcv.wait_count(1, 10, "delivery after enable")
    assert [r.body for r in rcv.snapshot()] == [b'{"after": "enabled"}']

    # admin.keys empty: the admin API is off (403), with or without a key.
    gw2 = h.gateway({"orders": route(h.queue("src2"), {"crm": endpoint(rcv.url())})}, admin_keys=None, name="no-admin")
    for method, path in ADMIN_CALLS:
        assert gw2.http(method, path)[0] == 403, (method, path)
        assert gw2.http(method, path, headers={"Authorization": f"Bearer {ADMIN_KEY}"})[0] == 403, (method, path)


def test_metrics_match_what_the_receiver_saw(h, broker):
    """A fresh gateway: counters equal what the receiver observed."""
    schedules = {
        "ok": [204],
        "500": [500, 200],
        "429": [Reply(429, headers={"Retry-After": "0"}), 202],
        "503": [503, 502, 504, 204],
        "timeout": [Reply(504, delay=1.0), 204],
        "302": [Reply(302, headers={"Location": "http://127.0.0.1:9/"}), 204],
        "404": [404, 204],
        "dead": [500, 500, 500],  # max_attempts 3
    }

    def respond(r):
        s = schedules[r.json["case"]]
        return s[min(r.seen_before, len(s) - 1)]

    rcv = h.receiver(responder=respond)
    src, dlq = h.queue("src"), h.queue("dlq")
    gw = h.gateway({"orders": route(src, {"crm": endpoint(rcv.url(), timeout_ms=400, max_concurrency=8,
                                                           retry={"max_attempts": 3, "initial_delay_ms": 20, "max_delay_ms": 40})},
                                    dead_letter=dlq)})
    assert gw.metric("gateway_webhook_attempts_total", route="orders", endpoint="crm") == 0
    tag = uid()
    h.publisher(gw).publish(src, [(json.dumps({"case": c, "tag": tag}).encode(), None) for c in schedules])
    # "503" needs 4 attempts but has 3: it is dead-lettered too.
    wait_for(lambda: (lambda e: e["delivered"] == 6 and e["dead_lettered"] == 2 and e["in_flight"] == 0)(gw.endpoint_status("orders", "crm")),
             20, "6 delivered and 2 dead-lettered")
    wait_for(lambda: gw.routes()["orders"]["unacknowledged"] == 0, 10, "everything acknowledged")
    time.sleep(0.7)  # the late answer to the timed-out request
    reqs = rcv.snapshot()
    ok = sum(1 for r in reqs if r.status is not None and 200 <= r.status < 300 and r.reply.delay < 0.4)
    classes = {"http_5xx": 0, "http_unavailable": 0, "http_429": 0, "http_3xx": 0, "http_4xx": 0, "timeout": 0}
    for r in reqs:
        if r.reply.delay >= 0.4:
            classes["timeout"] += 1
        elif r.status in (502, 503, 504):
            classes["http_unavailable"] += 1
        elif r.status == 429:
            classes["http_429"] += 1
        elif 300 <= r.status < 400:
            classes["http_3xx"] += 1
        elif 400 <= r.status < 500:
            classes["http_4xx"] += 1
        elif r.status >= 500:
            classes["http_5xx"] += 1
    m = lambda name, **kw: gw.metric(name, route="orders", endpoint="crm", **kw)  # noqa: E731
    assert m("gateway_webhook_attempts_total") == len(reqs), f"attempts {m('gateway_webhook_attempts_total')} != POSTs {len(reqs)}"
    assert m("gateway_webhook_delivered_total") == ok == 6
    for cls, n in classes.items():
        assert m("gateway_webhook_failures_total", **{"class": cls}) == n, (cls, n, gw.metric_samples("gateway_webhook_failures_total"))
    assert sum(v for lab, v in gw.metric_samples("gateway_webhook_failures_total")) == len(reqs) - ok
    assert m("gateway_webhook_latency_seconds_count") == len(reqs)
    assert m("gateway_webhook_latency_seconds_bucket", le="+Inf") == len(reqs)
    assert m("gateway_webhook_latency_seconds_sum") >= 0.35  # the timed-out attempt alone
    assert m("gateway_webhook_dead_lettered_total", reason="max-attempts") == 2
    assert m("gateway_webhook_in_flight") == 0 and m("gateway_webhook_waiting") == 0
    assert m("gateway_webhook_disabled") == 0
    assert gw.metric("gateway_webhook_filtered_total", route="orders") == 0
    assert gw.metric("gateway_webhook_abandoned_total", route="orders") == 0
    assert gw.metric("gateway_webhook_ack_failures_total", route="orders") == 0
    ep = gw.endpoint_status("orders", "crm")
    assert (ep["attempts"], ep["delivered"], ep["failures"], ep["dead_lettered"]) == (len(reqs), 6, len(reqs) - 6, 2), ep
    assert len(ep["recent_failures"]) == len(reqs) - 6
    for f in ep["recent_failures"]:
        assert {"at", "webhook_id", "attempt", "failure", "error"} <= set(f), f
    assert sorted(f["failure"] for f in ep["recent_failures"]) == sorted(c for c, n in classes.items() for _ in range(n))
    assert {f.get("status") for f in ep["recent_failures"] if f["failure"] == "timeout"} == {None}
    code, _, body = gw.http("GET", "/readyz")
    ready = json.loads(body)
    assert code == 200 and ready["checks"]["webhooks"]["ok"] is True, ready
    assert len(h.read_queue(dlq, gw, expect=2, timeout=5)) == 2
