"""5. Ordering: 20 keys x 25 messages, max_concurrency 8, a receiver that fails ~20%
of requests (500) with small random delays: per key the messages arrive in publish
order, the next one only after the previous one was answered 2xx; all are delivered;
keys interleave (more than one request in flight at a time)."""

from __future__ import annotations

import json
import random
import threading
import time

from whlib import Reply, endpoint, order_violations, per_key_sequences, route, uid, wait_for

KEYS, PER_KEY = 20, 25


def test_per_key_order_with_random_failures(h, broker):
    rng = random.Random(1234)
    lock_rng = threading.Lock()

    def respond(r):
        with lock_rng:
            fail = rng.random() < 0.2
            delay = rng.uniform(0.0, 0.02)
        return Reply(500 if fail else 204, delay=delay)

    rcv = h.receiver(responder=respond)
    src, dlq = h.queue("src"), h.queue("dlq")
    gw = h.gateway({"orders": route(src, {"crm": endpoint(
        rcv.url(), max_concurrency=8, ordering_key="order-id",
        retry={"max_attempts": 50, "initial_delay_ms": 10, "max_delay_ms": 50})}, dead_letter=dlq)})
    tag = uid()
    # Interleaved publish order: k0#0, k1#0, …, k19#0, k0#1, …
    msgs = [(json.dumps({"key": f"k{k}", "seq": s, "tag": tag}).encode(), {"order-id": f"{tag}-k{k}"})
            for s in range(PER_KEY) for k in range(KEYS)]
    t0 = time.monotonic()
    h.publisher(gw).publish(src, msgs)
    total = KEYS * PER_KEY

    def key_of(r):
        d = r.json
        return d["key"], d["seq"]

    def delivered(reqs):
        return len({key_of(r) for r in reqs if r.ok}) >= total

    rcv.wait(delivered, 90, f"all {total} messages answered 2xx")
    elapsed = time.monotonic() - t0
    wait_for(lambda: gw.routes()["orders"]["unacknowledged"] == 0, 15, "everything acknowledged")
    reqs = rcv.snapshot()
    for r in reqs:
        assert r.headers["x-stomp-header-order-id"] == f"{tag}-{r.json['key']}"
    problems = order_violations(reqs, key_of, strict_2xx=True)
    assert not problems, f"{len(problems)} ordering violation(s):\n" + "\n".join(problems[:10])
    seqs = per_key_sequences(reqs, key_of)
    assert all(seqs[f"k{k}"] == list(range(PER_KEY)) for k in range(KEYS)), seqs
    # Each message: one webhook-id, and attempts retried until 2xx (no duplicates after a 2xx).
    by_msg: dict = {}
    for r in reqs:
        by_msg.setdefault(key_of(r), []).append(r)
    for ks, rs in by_msg.items():
        assert len({r.webhook_id for r in rs}) == 1, (ks, rs)
        oks = [r for r in rs if r.ok]
        assert len(oks) == 1 and rs[-1] is oks[0], f"{ks}: {rs}"
        assert [r.headers["x-webhook-attempt"] for r in rs] == [str(i) for i in range(1, len(rs) + 1)], rs
    failures = sum(1 for r in reqs if r.status == 500)
    assert failures > 0.1 * total, f"only {failures} failures: the schedule did not bite"
    # Concurrency was used: several keys in flight at once, never more than max_concurrency.
    assert 1 < rcv.max_in_flight <= 8, f"max in flight {rcv.max_in_flight}"
    switches = sum(1 for a, b in zip(reqs, reqs[1:]) if key_of(a)[0] != key_of(b)[0])
    assert switches > total / 2, f"keys hardly interleave ({switches} switches)"
    assert gw.routes()["orders"]["endpoints"][0]["dead_lettered"] == 0
    print(f"\n{total} messages, {len(reqs)} POSTs ({failures} failed) in {elapsed:.1f}s, max in flight {rcv.max_in_flight}")
