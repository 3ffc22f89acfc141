"""8. Graceful shutdown: SIGTERM lets the requests in flight finish, starts no new
ones, exits 0 within drain_seconds (+ a few s), and leaves what was not delivered in
the queue for the next gateway. Needs a broker that outlives the gateway: the
standalone embedded broker process, or RabbitMQ."""

from __future__ import annotations

import json
import subprocess
import time

import pytest

from whlib import Reply, endpoint, route, uid, wait_for

DRAIN = 10


def test_sigterm_drains_in_flight_requests_and_leaves_the_rest(h, restartable_broker):
    slow = {"on": True}
    rcv = h.receiver(responder=lambda r: Reply(204, delay=1.0) if slow["on"] else 204)
    src, dlq = h.queue("src"), h.queue("dlq")
    routes = {"orders": route(src, {"crm": endpoint(rcv.url(), max_concurrency=2, retry={"max_attempts": 3, "initial_delay_ms": 50})},
                              dead_letter=dlq)}
    gw = h.gateway(routes, drain_seconds=DRAIN)
    tag = uid()
    bodies = [json.dumps({"i": i, "tag": tag}).encode() for i in range(6)]
    h.publisher(gw).publish(src, [(b, None) for b in bodies])
    first = rcv.wait_count(2, 10, "2 slow requests in flight")
    assert all(r.t_done is None for r in first), "the receiver answered before SIGTERM"
    t_term = time.monotonic()
    gw.sigterm()
    try:
        rc = gw.proc.wait(DRAIN + 5)
    except subprocess.TimeoutExpired:
        raise AssertionError(f"the gateway did not exit within drain_seconds + 5 s after SIGTERM\n{gw.diagnostics()}") from None
    t_exit = time.monotonic()
    gw.stopped_by_test = True
    assert rc == 0, f"exit code {rc} after SIGTERM\n{gw.diagnostics()}"
    in_flight = rcv.snapshot()
    assert all(r.t_recv < t_term for r in in_flight), f"a request started after SIGTERM: {in_flight}"
    assert len(in_flight) == 2, in_flight
    for r in in_flight:
        assert r.t_done is not None and not r.answer_failed, f"the in-flight request was cut off: {r}"
        assert t_exit >= r.t_answer, "the gateway exited before the in-flight request was answered"
    print(f"\nexited {t_exit - t_term:.2f}s after SIGTERM")

    # The next gateway delivers exactly what was not delivered (the 2 delivered ones were acknowledged).
    slow["on"] = False
    gw2 = h.gateway(routes, name="gw-after")
    delivered_before = {r.body for r in in_flight}
    rcv.wait(lambda rs: {r.body for r in rs if r.ok} >= set(bodies), 15, "all 6 messages delivered")
    wait_for(lambda: gw2.routes()["orders"]["unacknowledged"] == 0, 10, "everything acknowledged")
    after = [r for r in rcv.snapshot() if r.t_recv > t_exit]
    assert sorted(r.body for r in after) == sorted(set(bodies) - delivered_before), (
        f"after the restart: {after}; delivered before SIGTERM: {delivered_before}"
    )
    assert all(r.headers["x-webhook-attempt"] == "1" for r in after)
    assert h.read_queue(dlq, quiet=0.3) == []


def test_shutdown_past_the_drain_deadline_does_not_dead_letter(h, restartable_broker):
    """A request still running when drain_seconds is over is cut off; the message must
    be left unacknowledged to the broker (redelivered later), not dead-lettered — even
    when the cut-off attempt was the last one max_attempts allows. (Several routes, one
    slow message each: the cut-off requests race the gateway's exit; more routes make
    the outcome visible more often.)"""
    n_routes = 8
    rcv = h.receiver(responder=lambda r: Reply(204, delay=6.0) if r.seen_before == 0 else 204)
    srcs = [h.queue(f"src{i}") for i in range(n_routes)]
    dlq = h.queue("dlq")
    routes = {f"r{i}": route(src, {"crm": endpoint(rcv.url(), timeout_ms=20000, retry={"max_attempts": 1})}, dead_letter=dlq)
              for i, src in enumerate(srcs)}
    gw = h.gateway(routes, drain_seconds=1)
    bodies = {src: json.dumps({"src": src, "tag": uid()}).encode() for src in srcs}
    pub = h.publisher(gw)
    for src, body in bodies.items():
        pub.send(src, body)
    rcv.wait_count(n_routes, 10, "the slow requests")
    t_term = time.monotonic()
    gw.sigterm()
    try:
        rc = gw.proc.wait(1 + 5)
    except subprocess.TimeoutExpired:
        raise AssertionError(f"no exit within drain_seconds + 5 s\n{gw.diagnostics()}") from None
    gw.stopped_by_test = True
    assert rc == 0, f"exit code {rc}\n{gw.diagnostics()}"
    assert time.monotonic() - t_term < 6
    dead = h.read_queue(dlq, quiet=0.5)
    # Every message is still in its source queue (not acknowledged) ...
    for src, body in bodies.items():
        left = h.read_queue(src, expect=1, timeout=5, quiet=0.1, ack=False)
        assert [b for _, b in left] == [body], f"the message left the source queue {src}: {left}"
    # ... and so must not be in the dead-letter queue too (it would be delivered twice).
    assert dead == [], (
        f"{len(dead)} of {n_routes} shutdown-cancelled attempt(s) dead-lettered their message although it stays in the source queue: "
        f"{[(hd.get('x-webhook-reason'), hd.get('x-webhook-last-error')) for hd, _ in dead][:3]}\n{gw.diagnostics(12)}"
    )
