"""Gateway SIGKILLed under load: nothing acknowledged that was not delivered.

A webhook route reads a RabbitMQ queue and posts to a receiver that records every
request; messages arrive at a steady rate both straight from a STOMP publisher (each
with a broker receipt) and through the gateway's own HTTP front door
(`POST /api/publish`, 202 only after the broker's receipt). The gateway is SIGKILLed
mid-load. Afterwards (gateway gone), the queue is read directly: every confirmed
message — STOMP receipts and 202 answers alike — was either answered 2xx by the
receiver or is still in the queue. A message the receiver saw but did not answer 2xx
(cut off by the kill) must still be in the queue.
"""

from __future__ import annotations

import http.client
import json
import threading
import time

import pytest

from faultlib import SequencePublisher, uid, wait_for
import whlib

API_KEY = "faults-api-key-0123456789"


class APIPublisher:
    """POST /api/publish at a steady rate in a thread; records each answer."""

    def __init__(self, gw, destination: str, tag: str, interval: float = 0.02) -> None:
        self.gw, self.destination, self.tag, self.interval = gw, destination, tag, interval
        self.results: list[tuple[int, int | None, float]] = []  # (i, status or None, time)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True, name="api-publisher")

    def start(self) -> "APIPublisher":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(15)

    def _run(self) -> None:
        i = 0
        while not self._stop.is_set():
            i += 1
            body = json.dumps({"destination": self.destination, "body": {"api": i, "run": self.tag},
                               "headers": {"persistent": "true"}})
            status = None
            try:
                c = http.client.HTTPConnection(self.gw.http_host, self.gw.http_port, timeout=10)
                try:
                    c.request("POST", "/api/publish", body=body, headers={"X-API-Key": API_KEY, "Content-Type": "application/json"})
                    r = c.getresponse()
                    r.read()
                    status = r.status
                finally:
                    c.close()
            except OSError:
                status = None
            self.results.append((i, status, time.monotonic()))
            self._stop.wait(self.interval)

    def accepted(self) -> set[int]:
        return {i for i, s, _ in self.results if s == 202}


def _key(body: bytes) -> tuple[str, int] | None:
    try:
        d = json.loads(body)
    except ValueError:
        return None
    if "n" in d:
        return ("stomp", d["n"])
    if "api" in d:
        return ("api", d["api"])
    return None


@pytest.mark.deadline(120)
def test_gateway_sigkill_under_load_acks_nothing_undelivered(h, broker):
    rcv = h.receiver(responder=lambda r: whlib.Reply(204, delay=0.015), name="recorder")
    src = h.queue("load")
    routes = {"load": whlib.route(src, {"recorder": whlib.endpoint(rcv.url(), max_concurrency=4)}, prefetch=50)}
    gw = h.gateway(routes, name="gw-load", extra={"api": {"keys": [API_KEY]}})
    tag = uid()
    stomp_pub = SequencePublisher(broker.url, src, tag, interval=0.01).start()
    h.closers.append(stomp_pub.stop)
    api_pub = APIPublisher(gw, src, tag).start()
    h.closers.append(api_pub.stop)

    rcv.wait(lambda rs: sum(1 for r in rs if r.ok) >= 150, 60, "150 webhooks answered 2xx (under load)")
    in_flight = rcv.in_flight
    delivered_at_kill = sum(1 for r in rcv.snapshot() if r.ok)
    gw.sigkill()
    gw.killed = True
    t_kill = time.monotonic()
    time.sleep(1.0)  # the STOMP publisher keeps going; the front door is gone
    api_pub.stop()
    stomp_pub.stop()
    time.sleep(0.5)  # a request cut off by the kill has finished on the receiver's side

    # The gateway is gone: its unacknowledged deliveries are back in the queue.
    left = whlib.read_queue(broker.url, "rabbitmq", src, quiet=1.5, timeout=30)
    in_queue = [k for k in (_key(b) for _, b in left) if k]
    reqs = rcv.snapshot()
    ok = {k for k in (_key(r.body) for r in reqs if r.ok) if k}
    seen_not_ok = {k for k in (_key(r.body) for r in reqs if not r.ok) if k} - ok
    union = ok | set(in_queue)

    confirmed = {("stomp", n) for n in stomp_pub.confirmed_ns}
    accepted = {("api", i) for i in api_pub.accepted()}
    lost_stomp = sorted(confirmed - union)
    lost_api = sorted(accepted - union)
    assert not lost_stomp, f"{len(lost_stomp)} confirmed STOMP message(s) neither delivered nor in the queue: {lost_stomp[:20]}"
    assert not lost_api, f"{len(lost_api)} message(s) answered 202 neither delivered nor on the broker: {lost_api[:20]}"
    cut_off = sorted(seen_not_ok - set(in_queue))
    assert not cut_off, f"requests not answered 2xx were acknowledged anyway: {cut_off[:20]}"
    dup_queue = len(in_queue) - len(set(in_queue))
    assert dup_queue == 0, f"{dup_queue} duplicate(s) in the queue"
    invented = union - confirmed - {("stomp", n) for n in stomp_pub.unconfirmed} - {("api", i) for i, _, _ in api_pub.results}
    assert not invented, f"messages that were never published: {sorted(invented)[:10]}"
    api_after_kill = [(i, s) for i, s, t in api_pub.results if t > t_kill]
    assert all(s is None for _, s in api_after_kill), f"the killed gateway answered: {api_after_kill[:5]}"
    api_no_answer = [i for i, s, _ in api_pub.results if s is None]
    api_found_anyway = [i for i in api_no_answer if ("api", i) in union]
    both = ok & set(in_queue)
    assert len(accepted) > 20 and len(confirmed) > 100, "the load was too light to mean anything"
    print(f"\n[gateway kill] SIGKILL at {delivered_at_kill} webhooks answered 2xx ({in_flight} in flight); STOMP: "
          f"{len(confirmed)} confirmed; front door: {len(accepted)} answered 202, {len(api_no_answer)} without an answer "
          f"({len(api_found_anyway)} of those on the broker anyway); after the kill: {len(ok)} delivered (2xx), "
          f"{len(set(in_queue))} still in the queue, {len(both)} in both (delivered, not yet acknowledged), "
          f"{len(seen_not_ok)} cut off by the kill (all in the queue); lost: 0")
