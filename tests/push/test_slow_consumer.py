"""9. A stalled SSE client (never reads, SO_RCVBUF 4096) does not hold up the others:
while 2,000 x 1 KB messages are published, a normal client gets every one, promptly,
and the server stays up."""

from __future__ import annotations

import json
import socket
import time

from pushlib import SSEClient, admin_token, events_path, msg_body, parse_metrics, sync_live, uid

N = 2000


def stalled_sse(gw, dest: str, token: str) -> socket.socket:
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.settimeout(5)
    s.connect((gw.http_host, gw.http_port))
    req = (
        f"GET {events_path([dest], token)} HTTP/1.1\r\nHost: {gw.http_host}:{gw.http_port}\r\n"
        "Accept: text/event-stream\r\nOrigin: https://shop.example\r\n\r\n"
    )
    s.sendall(req.encode())
    return s  # never read from


def test_stalled_client_does_not_hold_up_others(gateway, publisher, sse):
    dest = f"/topic/orders.{uid()}"
    tok = admin_token()
    normal = sse(dest, token=tok)
    assert normal.status == 200
    sync_live(publisher, dest, [normal])
    stalled = [stalled_sse(gateway, dest, tok) for _ in range(2)]
    try:
        time.sleep(0.5)  # let the gateway register them
        pad = "x" * 1000
        bodies = [json.dumps({"n": i, "pad": pad}) for i in range(N)]
        t0 = time.monotonic()
        for b in bodies:
            publisher.send(dest, b, content_type="application/json")
        publisher.flush(30)
        t_pub = time.monotonic() - t0
        evs = normal.messages(N, 20)
        t_all = time.monotonic() - t0
        got = [msg_body(e) for e in evs]
        bad = next((i for i, (a, b) in enumerate(zip(got, bodies)) if a != b), None)
        assert bad is None, f"message {bad} differs: {got[bad][:60]!r} vs {bodies[bad][:60]!r}"
        assert t_all - t_pub < 10, f"normal client took {t_all - t_pub:.1f}s after publishing ended"
        assert gateway.alive()
        assert gateway.http("GET", "/healthz")[0] == 200
        # (2,000 x 1 KB fits in the kernel's socket buffers on loopback — Linux autotunes
        # the send buffer up to net.ipv4.tcp_wmem's 4 MiB — so this need not reach the
        # gateway's own send queue; the next test overflows it for certain.)
        # Still serving new clients: the current status arrives at once.
        late = SSEClient(gateway, dest, tok).open()
        try:
            ev = late.expect_event(5, "the current status")
            assert msg_body(ev) == bodies[-1]
        finally:
            late.close()
    finally:
        for s in stalled:
            s.close()


N_BIG = 2000
BIG = 4096


def test_stalled_client_past_the_send_queue_gets_a_gap_and_catches_up(gateway, publisher, sse):
    """8 MB for a client that reads nothing: more than the kernel buffers (~4 MiB) plus
    http.send_queue_bytes (2 MiB in these tests), so the slow-consumer policy (default drop-oldest)
    must act: a counter moves, the others are not held up, and the stalled client, once
    it reads, gets a gap notice for what it lost and catches up to the newest message.
    Every published message is either delivered to it or counted in a gap's `missed`."""
    dest = f"/topic/orders.{uid()}"
    tok = admin_token()
    normal = sse(dest, token=tok)
    probe = sync_live(publisher, dest, [normal])
    stalled = sse(dest, token=tok, rcvbuf=4096, paused=True)
    assert stalled.status == 200
    time.sleep(0.5)
    pad = "y" * (BIG - 40)
    bodies = [json.dumps({"n": i, "pad": pad}) for i in range(N_BIG)]
    # Paced (about 1 MB/s) so that a reading client keeps up even on a busy 2-core
    # machine; the stalled one reads nothing and overflows regardless.
    for i, b in enumerate(bodies):
        publisher.send(dest, b, content_type="application/json")
        if i % 10 == 9:
            time.sleep(0.04)
    publisher.flush(30)
    evs = normal.messages(N_BIG, 30)
    assert [msg_body(e) for e in evs] == bodies, "the normal client missed or reordered messages"
    assert gateway.alive()

    slow = [(n, l, v) for n, l, v in parse_metrics(gateway.metrics()) if "slow_consumer" in n]
    assert slow, "no slow-consumer counter on /metrics after a client overflowed its send queue"
    assert sum(v for _, _, v in slow) > 0, f"slow-consumer counter did not move: {slow}"

    stalled.resume()
    got, gaps = [], []
    deadline = time.monotonic() + 15
    while not got or got[-1] != bodies[-1]:
        ev = stalled.next_event(max(0.0, deadline - time.monotonic()))
        assert ev is not None, f"stalled client did not catch up to the newest message; got {len(got)} messages, gaps {gaps}, closed={stalled.closed}"
        assert ev.type in ("message", "gap"), f"drop-oldest must not end the stream: {ev}"
        if ev.type == "gap":
            gaps.append(ev.json)
        else:
            got.append(msg_body(ev))
    assert gaps, "the stalled client lost messages without a gap notice"
    assert all(g.get("destination") == dest for g in gaps), gaps
    delivered = [b for b in got if b != probe]
    idx = [bodies.index(b) for b in delivered]
    assert idx == sorted(idx) and len(set(idx)) == len(idx), "stalled client: messages out of order or repeated"
    if all(g.get("missed", 0) > 0 for g in gaps):
        missed = sum(g["missed"] for g in gaps)
        assert len(delivered) + missed == N_BIG, f"delivered {len(delivered)} + missed {missed} != published {N_BIG}"
