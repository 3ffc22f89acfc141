"""Several gateway instances on one broker (RabbitMQ), the broker the only backplane:

- a browser on either instance receives every status of its order;
- with `feeds.stream`, a browser that drops from instance A and reconnects to instance
  B with its last id gets exactly what it missed (positions are the stream's offsets);
- a webhook route's messages are delivered once per message across both instances
  (competing consumers), and killing one instance mid-stream loses nothing;
- with `single_active_consumer`, per-key order holds across instances and fail-over.
"""

from __future__ import annotations

import json
import sys

import pytest
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "push"))

from pushlib import SSEClient  # noqa: E402
from whlib import endpoint, order_violations, per_key_sequences, route, uid, wait_for  # noqa: E402


def feeds_config(stream: str, prefix: str) -> dict:
    return {"feeds": {"stream": stream, "retain": [f"{prefix}.**"]}, "auth": {"public_subscribe": [f"{prefix}.**"]}}


def statuses(client: SSEClient, n: int, timeout: float = 15) -> list[tuple[str, str]]:
    return [(e.id, json.loads(e.data)["body"]) for e in client.messages(n, timeout)]


def test_every_status_on_either_instance_and_resume_across_instances(h, rabbitmq_broker):
    prefix = f"/topic/scale-{uid()}"
    order = f"{prefix}.order42"
    extra = feeds_config(f"stomp-gateway-test.feeds.{uid()}", prefix)
    a = h.gateway(None, name="gw-a", extra_config=extra)
    b = h.gateway(None, name="gw-b", extra_config=extra)
    time.sleep(2.0)  # both read the stream
    publisher = h.publisher()
    first = ["received", "paid", "reserved"]
    for status in first:
        publisher.send(order, json.dumps({"status": status}))
        publisher.send(f"{prefix}.other", json.dumps({"status": "noise"}))  # other destinations interleave in the stream

    on_a = SSEClient(a, order, since="all", origin=None).open()
    on_b = SSEClient(b, order, since="all", origin=None).open()
    try:
        got_a, got_b = statuses(on_a, 3), statuses(on_b, 3)
        assert [json.loads(body)["status"] for _, body in got_a] == first
        assert got_a == got_b, "both instances number the order's statuses alike (stream offsets)"
        last_seen_on_a = got_a[1][0]  # the browser saw "paid", then lost instance A
    finally:
        on_a.close()
        on_b.close()

    later = ["label", "shipped"]
    for status in later:
        publisher.send(order, json.dumps({"status": status}))
    # Reconnect to instance B with the id from instance A: exactly what it missed.
    resumed = SSEClient(b, order, last_event_id=last_seen_on_a, origin=None).open()
    try:
        got = statuses(resumed, 3)
        assert [json.loads(body)["status"] for _, body in got] == ["reserved", *later]
        assert not [e for e in resumed.events if e.type == "gap"], "no gap: the position means the same on B"
        time.sleep(0.5)
        assert len([e for e in resumed.events if e.type == "message"]) == 3, "nothing twice"
    finally:
        resumed.close()

    # A restarted instance reads the history back from the stream: same positions.
    a.stop()
    a.stopped_by_test = True
    a2 = h.gateway(None, name="gw-a2", extra_config=extra)
    time.sleep(2.0)
    again = SSEClient(a2, order, since="all", origin=None).open()
    try:
        assert [pos for pos, _ in statuses(again, 5)][:3] == [pos for pos, _ in got_a]
    finally:
        again.close()


def test_webhooks_competing_consumers_lose_nothing_when_one_instance_dies(h, rabbitmq_broker):
    rcv = h.receiver()
    src, dlq = h.queue("src"), h.queue("dlq")
    routes = {"orders": route(src, {"crm": endpoint(rcv.url(), max_concurrency=4)}, dead_letter=dlq, prefetch=20)}
    a = h.gateway(routes, name="gw-a")
    b = h.gateway(routes, name="gw-b")
    tag = uid()
    total = 400
    h.publisher().publish(src, [(json.dumps({"n": i, "tag": tag}).encode(), {"seq": str(i)}) for i in range(total)])
    rcv.wait(lambda rs: len({r.json["n"] for r in rs if r.ok}) >= total // 3, 60, "a third delivered")
    a.sigkill()
    a.killed = True
    rcv.wait(lambda rs: len({r.json["n"] for r in rs if r.ok}) >= total, 60, "every message delivered")
    wait_for(lambda: b.routes()["orders"]["unacknowledged"] == 0, 20, "instance B to have acknowledged everything")
    reqs = [r for r in rcv.snapshot() if r.ok]
    by_n: dict[int, set[str]] = {}
    for r in reqs:
        by_n.setdefault(r.json["n"], set()).add(r.headers["webhook-id"])
    assert sorted(by_n) == list(range(total))
    assert all(len(ids) == 1 for ids in by_n.values()), "a message delivered twice keeps its webhook-id"
    duplicates = len(reqs) - total
    # Only what instance A had taken and not acknowledged when it died can come twice.
    assert duplicates <= 20, f"{duplicates} duplicates"
    delivered_by_b = b.metric("gateway_webhook_delivered_total", route="orders", endpoint="crm")
    assert 0 < delivered_by_b < len(reqs), "both instances delivered (competing consumers)"
    assert h.read_queue(src, quiet=0.3) == [] and h.read_queue(dlq, quiet=0.3) == []


def declare_single_active_consumer_queue(url: str, name: str) -> None:
    """RabbitMQ's STOMP adapter cannot declare x-single-active-consumer: AMQP does (pika)."""
    import urllib.parse

    import pika

    parsed = urllib.parse.urlparse(url)
    params = pika.ConnectionParameters("127.0.0.1", 5672, "/", pika.PlainCredentials(parsed.username or "guest", parsed.password or "guest"))
    connection = pika.BlockingConnection(params)
    try:
        connection.channel().queue_declare(name, durable=True, arguments={"x-single-active-consumer": True})
    finally:
        connection.close()


def test_single_active_consumer_keeps_order_across_fail_over(h, rabbitmq_broker):
    pytest.importorskip("pika")
    rcv = h.receiver()
    name = f"wh-test.sac.{uid()}"
    declare_single_active_consumer_queue(h.external_url, name)
    src, dlq = f"/amq/queue/{name}", h.queue("dlq")  # an existing queue, not re-declared
    routes = {"orders": route(src, {"crm": endpoint(rcv.url(), max_concurrency=8, ordering_key="order-id")},
                              dead_letter=dlq, single_active_consumer=True)}
    a = h.gateway(routes, name="gw-a")
    b = h.gateway(routes, name="gw-b")
    tag = uid()
    keys, per_key = 10, 30
    msgs = [(json.dumps({"key": f"k{k}", "seq": s, "tag": tag}).encode(), {"order-id": f"{tag}-k{k}"})
            for s in range(per_key) for k in range(keys)]
    h.publisher().publish(src, msgs)
    total = keys * per_key

    def delivered() -> int:
        return len({(r.json["key"], r.json["seq"]) for r in rcv.snapshot() if r.ok})

    rcv.wait(lambda rs: delivered() >= total // 3, 60, "a third delivered")
    active = a if a.metric("gateway_webhook_delivered_total", route="orders", endpoint="crm") > 0 else b
    standby = b if active is a else a
    assert standby.metric("gateway_webhook_delivered_total", route="orders", endpoint="crm") == 0, "one consumer at a time"
    active.sigkill()
    active.killed = True
    rcv.wait(lambda rs: delivered() >= total, 60, "every message delivered by the standby")
    key_of = lambda r: (r.json["key"], r.json["seq"])  # noqa: E731
    # A message the dead instance had delivered but not acknowledged comes again; the
    # sequence of first receipts per key stays in publish order.
    for key, seqs in per_key_sequences(rcv.snapshot(), key_of).items():
        assert seqs == sorted(seqs) and len(seqs) == per_key, f"{key}: {seqs}"
    assert order_violations([r for r in rcv.snapshot() if r.t_recv > 0], key_of, strict_2xx=False) == []
