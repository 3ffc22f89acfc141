"""Clients that stop reading (issue 8, faults): 200 of them (SSE and WebSocket, with a
4 KiB receive buffer) on two destinations while 8 MB flows to each. Per the
slow-consumer policy (docs/CONFIGURATION.md, slow_consumer.*): on the drop-oldest
destination they stay connected (a gap notice when they read again); on the
/topic/abuse.disc.** destination (policy disconnect) they are cut off with
`slow_consumer` — and actually closed, even though they never read their last words.
The gateway's RSS stays within clients × http.send_queue_bytes plus slack, and the
reading clients get every message, in order."""

from __future__ import annotations

import json
import socket
import time

import pytest

from abuselib import DISCONNECT_PREFIX, SEND_QUEUE_BYTES, delta, fd_count, metric, metrics_snapshot, rss_mb
from pushlib import SSEClient, StompWS, admin_token, encode_frame, events_path, msg_body, sync_live, uid

N_STALLED = 200  # half SSE, half WebSocket; half on each destination
N_MSG = 1000
MSG = 4096


def _stalled_sse(gw, dest, tok) -> socket.socket:
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.settimeout(5)
    s.connect((gw.http_host, gw.http_port))
    s.sendall(f"GET {events_path([dest], tok, since='live')} HTTP/1.1\r\nHost: x\r\nOrigin: https://shop.example\r\n\r\n".encode())
    return s


def _ws_frame(payload: bytes) -> bytes:
    import os

    mask = os.urandom(4)
    n = len(payload)
    head = bytes([0x81]) + (bytes([0x80 | n]) if n < 126 else bytes([0x80 | 126]) + n.to_bytes(2, "big"))
    return head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))


def _stalled_ws(gw, dest, tok, i) -> socket.socket:
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.settimeout(5)
    s.connect((gw.http_host, gw.http_port))
    s.sendall(
        b"GET /stomp HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
        b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Protocol: v12.stomp\r\nOrigin: https://shop.example\r\n\r\n"
    )
    buf = b""
    while b"\r\n\r\n" not in buf:  # the 101 first: bytes sent before it would be dropped
        chunk = s.recv(1)
        assert chunk, "closed before the 101"
        buf += chunk
    assert buf.startswith(b"HTTP/1.1 101"), buf
    s.sendall(_ws_frame(encode_frame("CONNECT", [("accept-version", "1.2"), ("host", "/"), ("passcode", tok), ("heart-beat", "0,0")])))
    s.sendall(_ws_frame(encode_frame("SUBSCRIBE", [("destination", dest), ("id", f"s{i}"), ("since", "live")])))
    return s


def _drain_tail(s: socket.socket, timeout: float) -> tuple[bytes, bool]:
    """Reads everything until EOF (or timeout); returns the last 64 KiB and whether EOF came."""
    s.settimeout(0.5)
    tail = b""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            chunk = s.recv(1 << 20)
        except socket.timeout:
            continue
        except OSError:
            return tail, True
        if not chunk:
            return tail, True
        tail = (tail + chunk)[-65536:]
    return tail, False


@pytest.mark.hard_timeout(120)
def test_clients_that_stop_reading(agw, apub, results):
    pid = agw.proc.pid
    tok = admin_token()
    d_drop = f"/topic/abuse.stall.{uid()}"
    d_disc = f"{DISCONNECT_PREFIX}.{uid()}"
    readers = {d: (SSEClient(agw, d, tok).open(), StompWS(agw)) for d in (d_drop, d_disc)}
    for d, (sse, ws) in readers.items():
        assert sse.status == 200
        assert ws.connect_stomp(tok).command == "CONNECTED"
        ws.subscribe(d, "r", receipt="r")
        ws.expect("RECEIPT")
        sync_live(apub, d, [sse])
    fd0, rss0 = fd_count(pid), rss_mb(pid)
    m0 = metrics_snapshot(agw)
    stalled: dict[str, list[tuple[str, socket.socket]]] = {d_drop: [], d_disc: []}
    per = N_STALLED // 4
    for d in (d_drop, d_disc):
        for i in range(per):
            stalled[d].append(("sse", _stalled_sse(agw, d, tok)))
            stalled[d].append(("ws", _stalled_ws(agw, d, tok, i)))
    time.sleep(1.0)
    conns0 = {t: metric(agw, "gateway_connections", transport=t) for t in ("sse", "websocket")}
    pad = "z" * (MSG - 40)
    bodies = [json.dumps({"n": i, "pad": pad}) for i in range(N_MSG)]
    rss_peak = rss_mb(pid)
    t0 = time.monotonic()
    for i, b in enumerate(bodies):
        apub.send(d_drop, b, content_type="application/json")
        apub.send(d_disc, b, content_type="application/json")
        if i % 20 == 19:
            time.sleep(0.02)
            rss_peak = max(rss_peak, rss_mb(pid))
    apub.flush(30)
    t_pub = time.monotonic() - t0
    # The reading clients get everything, in order, promptly.
    lag = {}
    for d, (sse, ws) in readers.items():
        got = [msg_body(e) for e in sse.messages(N_MSG, 45, skip=lambda e: e.type == "message" and msg_body(e).startswith('{"probe"'))]
        assert got == bodies, f"SSE reader on {d} missed or reordered messages"
        n = 0
        while n < N_MSG:
            f = ws.expect("MESSAGE", 20)
            if f.text.startswith('{"probe"'):
                continue
            assert f.text == bodies[n], f"WS reader on {d}: message {n} differs"
            n += 1
        lag[d] = round(time.monotonic() - t0 - t_pub, 2)
        rss_peak = max(rss_peak, rss_mb(pid))
    # Disconnect policy: every stalled client on d_disc is closed within the end grace (5 s) + slack.
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        c = {t: metric(agw, "gateway_connections", transport=t) for t in ("sse", "websocket")}
        if c["sse"] <= conns0["sse"] - per and c["websocket"] <= conns0["websocket"] - per:
            break
        time.sleep(0.25)
    conns1 = {t: metric(agw, "gateway_connections", transport=t) for t in ("sse", "websocket")}
    m1 = metrics_snapshot(agw)
    disc = delta(m0, m1, "gateway_slow_consumer_actions_total", policy="disconnect")
    drop = delta(m0, m1, "gateway_slow_consumer_actions_total", policy="drop-oldest")
    rss1 = rss_mb(pid)
    # What the cut-off clients find when they read again: the documented reason, then EOF.
    reasons = {"sse": 0, "ws": 0}
    eofs = 0
    for kind, s in stalled[d_disc]:
        tail, eof = _drain_tail(s, 10)
        eofs += eof
        if kind == "sse" and b'"code":"slow_consumer"' in tail and b"event: error" in tail:
            reasons["sse"] += 1
        if kind == "ws" and b"message:slow consumer" in tail and b"gateway-code:slow_consumer" in tail:
            reasons["ws"] += 1
        s.close()
    # Drop-oldest ones are still connected: when one reads, it gets a gap notice.
    kind, s0 = stalled[d_drop][0]
    tail, eof = _drain_tail(s0, 3)
    for _, s in stalled[d_drop]:
        s.close()
    fds = fd0
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        fds = fd_count(pid)
        if fds <= fd0 + 5:
            break
        time.sleep(0.25)
    bound_mb = N_STALLED * SEND_QUEUE_BYTES / 2**20 + 64
    results.record(
        "stalled_readers",
        stalled_clients=N_STALLED,
        published={"messages_per_destination": N_MSG, "bytes_per_destination": N_MSG * MSG, "seconds": round(t_pub, 1)},
        reader_lag_after_publish_s=lag,
        slow_consumer_actions={"disconnect": disc, "drop_oldest": drop},
        cut_off_with_reason=reasons,
        cut_off_eof=eofs,
        connections_before_after={"before": conns0, "after": conns1},
        rss_mb={"before": round(rss0, 1), "peak": round(rss_peak, 1), "after": round(rss1, 1), "bound": round(rss0 + bound_mb, 1)},
        fds={"before": fd0, "after_close": fds},
    )
    assert disc >= 2 * per * 0.9, f"disconnect policy acted {disc} times for {2 * per} stalled clients"
    assert conns1["sse"] <= conns0["sse"] - per and conns1["websocket"] <= conns0["websocket"] - per, (
        f"cut-off slow consumers are still connected: {conns0} -> {conns1}"
    )
    assert eofs == 2 * per, f"only {eofs} of {2 * per} cut-off clients saw the connection end"
    # (A client that reads nothing at all cannot see its last words: they sit behind
    # megabytes it never read, and are discarded when the connection is closed after
    # the end grace. The reason is asserted in test_cut_off_reader_that_reads_again_sees_the_reason.)
    assert not eof, "a drop-oldest stalled client was disconnected"
    assert rss_peak <= rss0 + bound_mb, f"RSS {rss0:.0f} -> peak {rss_peak:.0f} MB, over {N_STALLED} x send_queue_bytes + 64 MB"
    assert fds <= fd0 + 5, f"fds {fd0} -> {fds}"
    for sse, ws in readers.values():
        sse.close()
        ws.close()
