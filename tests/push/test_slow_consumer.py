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
        # The stalled clients did hit the slow-consumer bound (a counter on /metrics).
        slow = [(n, l, v) for n, l, v in parse_metrics(gateway.metrics()) if "slow_consumer" in n]
        assert slow, "no slow-consumer counter on /metrics"
        assert sum(v for _, _, v in slow) > 0, f"the stalled clients never triggered the slow-consumer policy: {slow}"
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
