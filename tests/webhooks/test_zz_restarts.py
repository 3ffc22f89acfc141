"""6. Acceptance: 1,000 messages across 20 order keys, a receiver failing on a schedule
(500s, timeouts, 429 with Retry-After: 1), the gateway SIGKILLed midway and started
again, and (RabbitMQ) the broker restarted midway: every message is received at least
once with a valid signature, duplicates share their webhook-id (same (key, seq) ⇒ same
webhook-id, one webhook-id ⇒ one (key, seq)), and per-key order is kept.

Runs last (file name): the RabbitMQ restart disturbs the shared broker; RabbitMQ is
running again at the end of the test even when it fails.

The "standalone" variant runs the embedded broker in a separate broker-only gateway
process, so that the route gateway can be SIGKILLed without losing the queue. The
embedded broker keeps no messages across its own restart, so that variant does not
restart the broker: it SIGKILLs the route gateway twice instead.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import threading
import time

import pytest

from conftest import broker_state_dir, require_brokers
from whlib import REPO, Reply, endpoint, order_violations, per_key_sequences, route, stomp_reachable, uid, wait_for

KEYS, PER_KEY = 20, 50
TIMEOUT_MS = 500


def _brokers_sh(*args: str, timeout: float = 180) -> subprocess.CompletedProcess:
    state = broker_state_dir()
    return subprocess.run(["bash", str(REPO / "scripts" / "brokers.sh"), *args], capture_output=True, text=True,
                          timeout=timeout, env=dict(os.environ, BROKER_STATE_DIR=state or ""))


def _ensure_rabbit(url: str) -> None:
    if stomp_reachable(url, "rabbitmq"):
        return
    r = _brokers_sh("start", "rabbitmq")
    assert r.returncode == 0 and stomp_reachable(url, "rabbitmq"), f"could not start RabbitMQ again:\n{r.stderr[-2000:]}"


def _readyz(gw) -> tuple[int | None, bool | None]:
    try:
        code, _, body = gw.http("GET", "/readyz", timeout=2)
        return code, json.loads(body)["checks"]["webhooks"]["ok"]
    except (OSError, ValueError, KeyError):
        return None, None


def _poll_readyz(gw, out: list, stop: threading.Event) -> None:
    while not stop.is_set():
        out.append(_readyz(gw))
        stop.wait(0.2)


class Schedule:
    """Answers by (key, seq) and how often that message was seen before (by body, not
    by webhook-id, so that a wrong webhook-id cannot change the schedule)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.seen: dict[tuple[str, int], int] = {}
        self.rng = random.Random(99)

    def __call__(self, r):
        d = r.json
        ks = (d["key"], d["seq"])
        with self.lock:
            n = self.seen.get(ks, 0)
            self.seen[ks] = n + 1
            jitter = self.rng.uniform(0.005, 0.025)
        k = int(d["key"][1:])
        slot = (k * 7 + d["seq"] * 13) % 40
        if n == 0:
            if slot in (1, 2, 3):
                return Reply(500, body=b"schedule: 500", delay=jitter)
            if slot == 4:
                return Reply(504, delay=TIMEOUT_MS / 1000 + 0.4)  # answered after the gateway gave up
            if slot == 5:
                return Reply(429, headers={"Retry-After": "1"})
        if n == 1 and slot == 1:
            return Reply(503, delay=jitter)
        return Reply(204, delay=jitter)


def test_acceptance_kill_and_broker_restart(h, restartable_broker):
    if restartable_broker == "rabbitmq" and not broker_state_dir():
        msg = "BROKER_STATE_DIR is not set: the test cannot restart RabbitMQ"
        if require_brokers():
            pytest.fail(msg, pytrace=False)
        pytest.skip(msg)
    rcv = h.receiver(responder=Schedule(), name="acceptance-receiver")
    src, dlq = h.queue("acceptance"), h.queue("acceptance-dlq")
    routes = {"orders": route(src, {"crm": endpoint(
        rcv.url(), timeout_ms=TIMEOUT_MS, max_concurrency=KEYS, ordering_key="order-id",
        retry={"max_attempts": 1000, "initial_delay_ms": 50, "max_delay_ms": 500, "max_age_seconds": 3600})}, dead_letter=dlq)}
    tag = uid()

    def key_of(r):
        d = r.json
        return d["key"], d["seq"]

    def delivered_count() -> int:
        return len({key_of(r) for r in rcv.snapshot() if r.ok})

    total = KEYS * PER_KEY
    t0 = time.monotonic()
    events: list[str] = []
    kills: list[float] = []
    try:
        gw = h.gateway(routes, name="gw-a")
        msgs = [(json.dumps({"key": f"k{k}", "seq": s, "tag": tag, "pad": "x" * (s % 7)}).encode(), {"order-id": f"{tag}-k{k}"})
                for s in range(PER_KEY) for k in range(KEYS)]
        h.publisher(gw).publish(src, msgs, timeout=60)
        events.append(f"{time.monotonic() - t0:.1f}s published {total}")

        # Crash 1: SIGKILL the route gateway at ~30 %, start it again.
        rcv.wait(lambda rs: delivered_count() >= 0.3 * total, 60, "30% delivered")
        gw.sigkill()
        gw.killed = True
        t_kill = time.monotonic()
        kills.append(t_kill)
        events.append(f"{time.monotonic() - t0:.1f}s SIGKILL gw-a at {delivered_count()} delivered")
        gw = h.gateway(routes, name="gw-b")
        events.append(f"{time.monotonic() - t0:.1f}s gw-b up")

        rcv.wait(lambda rs: delivered_count() >= 0.6 * total, 60, "60% delivered")
        if restartable_broker == "rabbitmq":
            # Crash 2: restart RabbitMQ under the running gateway.
            events.append(f"{time.monotonic() - t0:.1f}s restarting RabbitMQ at {delivered_count()} delivered")
            readiness: list[tuple[int | None, bool | None]] = []
            polling = threading.Event()
            poller = threading.Thread(target=_poll_readyz, args=(gw, readiness, polling), daemon=True)
            poller.start()
            try:
                r = _brokers_sh("restart", "rabbitmq")
            finally:
                polling.set()
                poller.join(5)
            assert r.returncode == 0, f"brokers.sh restart rabbitmq failed:\n{r.stderr[-2000:]}"
            events.append(f"{time.monotonic() - t0:.1f}s RabbitMQ back")
            # /readyz: the "webhooks" check went down with the broker (and comes back below).
            assert (503, False) in readiness, f"/readyz never reported the webhook connection down: {sorted(set(readiness))}"
        else:
            # The embedded broker loses its queues when it restarts: SIGKILL the route gateway again instead.
            gw.sigkill()
            gw.killed = True
            kills.append(time.monotonic())
            events.append(f"{time.monotonic() - t0:.1f}s SIGKILL gw-b at {delivered_count()} delivered")
            gw = h.gateway(routes, name="gw-c")
            events.append(f"{time.monotonic() - t0:.1f}s gw-c up")

        rcv.wait(lambda rs: delivered_count() >= total, 90, f"all {total} messages answered 2xx")
        events.append(f"{time.monotonic() - t0:.1f}s all delivered")
        wait_for(lambda: gw.routes()["orders"]["unacknowledged"] == 0, 30, "the last gateway to have acknowledged everything")
        # Every broker connection is back within the client's reconnect backoff (≤ 10 s).
        wait_for(lambda: _readyz(gw) == (200, True), 20, "/readyz to be ok again (every broker connection back)")
        time.sleep(0.5)
    finally:
        if restartable_broker == "rabbitmq":
            _ensure_rabbit(h.external_url)

    reqs = rcv.snapshot()
    assert not rcv.errors, f"{len(rcv.errors)} request(s) with an invalid signature: {rcv.errors[:5]}"
    # Every message delivered (2xx) at least once.
    ok = {key_of(r) for r in reqs if r.ok}
    missing = {(f"k{k}", s) for k in range(KEYS) for s in range(PER_KEY)} - ok
    assert not missing, f"{len(missing)} message(s) never delivered: {sorted(missing)[:20]}"
    # webhook-id <-> (key, seq) is one to one, duplicates included.
    ids_of: dict = {}
    msg_of: dict = {}
    for r in reqs:
        ids_of.setdefault(key_of(r), set()).add(r.webhook_id)
        msg_of.setdefault(r.webhook_id, set()).add(key_of(r))
    split = {ks: ids for ks, ids in ids_of.items() if len(ids) > 1}
    assert not split, f"{len(split)} message(s) arrived under several webhook-ids: {list(split.items())[:5]}"
    shared = {wid: ms for wid, ms in msg_of.items() if len(ms) > 1}
    assert not shared, f"{len(shared)} webhook-id(s) shared by different messages: {list(shared.items())[:5]}"
    # Per key: first receipts in publish order; nothing before its predecessor got a 2xx.
    seqs = per_key_sequences(reqs, key_of)
    bad = {k: v for k, v in seqs.items() if v != list(range(PER_KEY))}
    assert not bad, f"first receipts out of order: {bad}"
    problems = order_violations(reqs, key_of, strict_2xx=True)
    assert not problems, f"{len(problems)} ordering violation(s):\n" + "\n".join(problems[:10])
    # What gw-a had POSTed but not acknowledged comes again to gw-b, marked redelivered.
    before = {key_of(r) for r in reqs if r.t_recv < t_kill}
    first_after: dict = {}
    for r in reqs:
        if r.t_recv > t_kill and key_of(r) in before:
            first_after.setdefault(key_of(r), r)
    assert first_after, "no message was POSTed both before and after the SIGKILL"
    unmarked = [r for r in first_after.values() if r.headers.get("x-stomp-redelivered") != "true"]
    assert not unmarked, f"{len(unmarked)} redelivered message(s) without x-stomp-redelivered: true: {unmarked[:5]}"
    st = gw.routes()["orders"]
    assert st["endpoints"][0]["dead_lettered"] == 0, st
    assert h.read_queue(dlq, quiet=0.3) == [], "dead letters although max_attempts was never reached"

    dups = sum(1 for r in reqs if r.ok) - total
    redelivered = sum(1 for r in reqs if r.headers.get("x-stomp-redelivered") == "true")
    failures = sum(1 for r in reqs if not r.ok)
    # A request cut off mid-body can only come from a gateway being killed.
    for t, hd, _ in rcv.truncated:
        assert min(abs(t - k) for k in kills) < 2, f"a request was cut off at {t - t0:.1f}s, not at a SIGKILL: {hd}"
    print(f"\n[{restartable_broker}] {total} messages, {len(reqs)} POSTs, {failures} failed, {dups} duplicate 2xx, "
          f"{len(rcv.truncated)} cut off by a kill, "
          f"{redelivered} marked redelivered, {time.monotonic() - t0:.1f}s\n  " + "\n  ".join(events))
