"""10,000 connections opened and closed in churn (issue 8, faults): SSE and WebSocket
mixed, a quarter closing mid-handshake, others after their response head, after
CONNECT, or after subscribing to the destination a steady subscriber watches. The
gateway stays up, its file descriptors and connection gauges return to their
baseline, RSS stays near it, and the steady subscribers (SSE and WebSocket) receive
every message published meanwhile, in order."""

from __future__ import annotations

import asyncio
import json
import os
import threading
import time

import pytest

from abuselib import fd_count, metric, rss_mb
from pushlib import SSEClient, StompWS, admin_token, encode_frame, events_path, msg_body, sync_live, uid

N = 10_000
CONCURRENCY = 150
SOURCES = [f"127.0.0.{i}" for i in range(20, 28)]  # spread below the per-address limit


def _ws_frame(payload: bytes) -> bytes:
    mask = os.urandom(4)
    n = len(payload)
    head = bytes([0x81]) + (bytes([0x80 | n]) if n < 126 else bytes([0x80 | 126]) + n.to_bytes(2, "big"))
    return head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))


async def _one(i: int, host: str, port: int, dest: str, tok: str, stats: dict) -> None:
    kind = ("sse_mid", "sse_sub", "ws_mid", "ws_101", "ws_connect", "ws_sub")[i % 6]
    try:
        r, w = await asyncio.wait_for(asyncio.open_connection(host, port, local_addr=(SOURCES[i % len(SOURCES)], 0)), 5)
    except (OSError, asyncio.TimeoutError):
        stats["connect_failed"] = stats.get("connect_failed", 0) + 1
        return
    try:
        if kind.startswith("sse"):
            req = f"GET {events_path([dest], tok, since='live')} HTTP/1.1\r\nHost: x\r\nOrigin: https://shop.example\r\n\r\n".encode()
            if kind == "sse_mid":
                w.write(req[: len(req) // 2])
                await w.drain()
            else:
                w.write(req)
                data = await asyncio.wait_for(r.readuntil(b"retry:"), 5)
                assert data.startswith(b"HTTP/1.1 200"), data[:100]
        else:
            req = (
                b"GET /stomp HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
                b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Protocol: v12.stomp\r\nOrigin: https://shop.example\r\n\r\n"
            )
            if kind == "ws_mid":
                w.write(req[:60])
                await w.drain()
            else:
                w.write(req)
                head = await asyncio.wait_for(r.readuntil(b"\r\n\r\n"), 5)
                assert head.startswith(b"HTTP/1.1 101"), head[:100]
                if kind in ("ws_connect", "ws_sub"):
                    w.write(_ws_frame(encode_frame("CONNECT", [("accept-version", "1.2"), ("host", "/"), ("passcode", tok)])))
                    await asyncio.wait_for(r.readuntil(b"CONNECTED"), 5)
                if kind == "ws_sub":
                    w.write(_ws_frame(encode_frame("SUBSCRIBE", [("destination", dest), ("id", "c"), ("since", "live"), ("receipt", "r")])))
                    await asyncio.wait_for(r.readuntil(b"RECEIPT"), 5)
        stats[kind] = stats.get(kind, 0) + 1
    except (OSError, asyncio.TimeoutError, asyncio.IncompleteReadError, AssertionError) as e:
        stats.setdefault("errors", []).append(f"{kind}: {e!r}"[:200])
    finally:
        w.close()


async def _churn(host: str, port: int, dest: str, tok: str) -> dict:
    stats: dict = {}
    sem = asyncio.Semaphore(CONCURRENCY)

    async def run(i: int) -> None:
        async with sem:
            await _one(i, host, port, dest, tok, stats)

    await asyncio.gather(*(run(i) for i in range(N)))
    return stats


@pytest.mark.hard_timeout(120)
def test_ten_thousand_connections_in_churn(agw, apub, results):
    pid = agw.proc.pid
    tok = admin_token()
    dest = f"/topic/abuse.churn.{uid()}"
    steady_sse = SSEClient(agw, dest, tok).open()
    steady_ws = StompWS(agw)
    assert steady_ws.connect_stomp(tok).command == "CONNECTED"
    steady_ws.subscribe(dest, "steady", receipt="r")
    steady_ws.expect("RECEIPT")
    sync_live(apub, dest, [steady_sse])
    time.sleep(0.5)
    while steady_ws.try_frame(0.3) is not None:
        pass
    base = {t: metric(agw, "gateway_connections", transport=t) for t in ("sse", "websocket")}
    fd0, rss0 = fd_count(pid), rss_mb(pid)
    published: list[str] = []
    stop = threading.Event()

    def publish() -> None:
        n = 0
        while not stop.is_set():
            b = json.dumps({"n": n})
            apub.send(dest, b, content_type="application/json")
            published.append(b)
            n += 1
            stop.wait(0.02)

    pub_thread = threading.Thread(target=publish, daemon=True)
    t0 = time.monotonic()
    pub_thread.start()
    rss_peak = rss0
    try:
        stats = asyncio.run(_churn(agw.http_host, agw.http_port, dest, tok))
    finally:
        stop.set()
        pub_thread.join(5)
    elapsed = time.monotonic() - t0
    apub.flush(10)
    rss_peak = max(rss_peak, rss_mb(pid))
    assert agw.alive()
    # Gauges and fds back to baseline.
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        conns = {t: metric(agw, "gateway_connections", transport=t) for t in ("sse", "websocket")}
        fds = fd_count(pid)
        if conns == base and fds <= fd0 + 5:
            break
        time.sleep(0.25)
    rss1 = rss_mb(pid)
    # The steady subscribers got every message, in order.
    got_sse = [msg_body(e) for e in steady_sse.messages(len(published), 20)]
    got_ws = [f.text for f in steady_ws.messages(len(published), 20)]
    errors = stats.pop("errors", [])
    results.record(
        "churn",
        connections=N,
        concurrency=CONCURRENCY,
        by_kind=stats,
        client_errors=len(errors),
        elapsed_s=round(elapsed, 1),
        rate_per_s=round(N / elapsed),
        steady_messages={"published": len(published), "sse": len(got_sse), "ws": len(got_ws)},
        gauges={"baseline": base, "after": conns},
        fds={"before": fd0, "after": fds},
        rss_mb={"before": round(rss0, 1), "peak": round(rss_peak, 1), "after": round(rss1, 1)},
    )
    assert len(errors) <= N // 200, f"{len(errors)} churn clients failed: {errors[:5]}"
    assert "connect_failed" not in stats, stats
    assert got_sse == published and got_ws == published, "a steady subscriber missed or reordered messages"
    assert conns == base, f"connection gauges {base} -> {conns}"
    assert fds <= fd0 + 5, f"file descriptors {fd0} -> {fds}"
    assert rss1 <= rss0 + 40, f"RSS {rss0:.0f} -> {rss1:.0f} MB after churn"
    steady_sse.close()
    steady_ws.close()
