"""Slowloris (issue 8, faults): connections that send their request one byte at a time
and never finish it are closed at http.handshake_timeout_seconds (2 s here) — request
heads on plain HTTP, WebSocket upgrade requests, and request bodies on /api/publish —
while a normal client on another address is served promptly and the per-address limit
(http.max_connections_per_ip) refuses the attacker's surplus with 429."""

from __future__ import annotations

import asyncio
import time

import pytest

import abuselib
from abuselib import HANDSHAKE_TIMEOUT_S, MAX_PER_IP, LatencyProbe, delta, fd_count, metrics_snapshot, quantiles, rss_mb

N_HEAD = 1200  # from 127.0.0.2: MAX_PER_IP (1000) held, the rest refused 429
N_WS = 300  # slow WebSocket upgrade requests, from 127.0.0.3
N_BODY = 300  # slow /api/publish bodies, from 127.0.0.4
TRICKLE_S = 0.4  # one byte this often


async def _slow(kind: str, src: str, host: str, port: int, head: bytes, rest: bytes, deadline: float, out: list) -> None:
    loop = asyncio.get_running_loop()
    try:
        reader, writer = await asyncio.open_connection(host, port, local_addr=(src, 0))
    except OSError as e:
        out.append((kind, "connect_failed", 0.0, repr(e)))
        return
    t0 = loop.time()
    got = b""
    outcome = "open"
    try:
        writer.write(head)
        i = 0
        while loop.time() < deadline:
            try:
                data = await asyncio.wait_for(reader.read(4096), TRICKLE_S)
            except asyncio.TimeoutError:
                if i < len(rest):
                    try:
                        writer.write(rest[i:i + 1])
                        await writer.drain()
                    except OSError:
                        outcome = "closed"
                        break
                    i += 1
                continue
            except OSError:
                outcome = "closed"
                break
            if not data:
                outcome = "closed"
                break
            got += data
        closed_after = loop.time() - t0
    finally:
        writer.close()
    status = int(got.split(b" ", 2)[1]) if got.startswith(b"HTTP/1.1 ") else None
    out.append((kind, outcome if status is None else f"status_{status}", closed_after, got[:300]))


async def _attack(gw, deadline_s: float) -> list:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + deadline_s
    host, port = gw.http_host, gw.http_port
    head_http = b"GET /healthz HTTP/1.1\r\nHost: x\r\n"
    rest_http = b"X-Slow: " + b"a" * 200 + b"\r\n\r\n"
    head_ws = b"GET /stomp HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
    rest_ws = b"Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n"
    body = b'{"destination":"/topic/abuse.slow","body":"' + b"x" * 200 + b'"}'
    head_body = (
        f"POST /api/publish HTTP/1.1\r\nHost: x\r\nX-API-Key: {abuselib.API_KEY}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    ).encode() + body[:1]
    out: list = []
    tasks = []
    for i in range(max(N_HEAD, N_WS, N_BODY)):
        if i < N_HEAD:
            tasks.append(asyncio.create_task(_slow("http_head", "127.0.0.2", host, port, head_http, rest_http, deadline, out)))
        if i < N_WS:
            tasks.append(asyncio.create_task(_slow("ws_upgrade", "127.0.0.3", host, port, head_ws, rest_ws, deadline, out)))
        if i < N_BODY:
            tasks.append(asyncio.create_task(_slow("api_body", "127.0.0.4", host, port, head_body, body[1:], deadline, out)))
        if i % 100 == 99:
            await asyncio.sleep(0.01)
    await asyncio.gather(*tasks)
    return out


@pytest.mark.hard_timeout(60)
def test_slowloris_heads_upgrades_and_bodies_are_cut_off(agw, results):
    pid = agw.proc.pid
    fd0, rss0 = fd_count(pid), rss_mb(pid)
    m0 = metrics_snapshot(agw)
    t0 = time.monotonic()
    with LatencyProbe(agw) as probe:
        out = asyncio.run(_attack(agw, deadline_s=HANDSHAKE_TIMEOUT_S + 8))
        rss_peak = rss_mb(pid)
    elapsed = time.monotonic() - t0
    assert agw.alive()
    m1 = metrics_snapshot(agw)

    by: dict[str, dict[str, list]] = {}
    for kind, outcome, after, _ in out:
        by.setdefault(kind, {}).setdefault(outcome, []).append(after)
    summary = {k: {o: len(v) for o, v in d.items()} for k, d in by.items()}
    # Nothing is left open after handshake timeout + slack, of any kind.
    for kind, d in by.items():
        assert "open" not in d, f"{kind}: {len(d['open'])} slow connections still open after {HANDSHAKE_TIMEOUT_S + 8}s: {summary}"
        assert "connect_failed" not in d, f"{kind}: connects failed: {summary}; {[o for o in out if o[1] == 'connect_failed'][:3]}"
    # The attacker's address: at most MAX_PER_IP held, the rest refused 429 at once.
    heads = by["http_head"]
    held = heads.get("closed", [])
    refused = heads.get("status_429", [])
    assert len(held) + len(refused) == N_HEAD, summary
    assert len(refused) >= N_HEAD - MAX_PER_IP - 5, f"the per-address limit should refuse about {N_HEAD - MAX_PER_IP}: {summary}"
    assert len(held) <= MAX_PER_IP, summary
    refusal = next(o[3] for o in out if o[1] == "status_429")
    assert b"too_many_connections" in refusal, refusal
    # Held ones: closed by the handshake timeout (not before, not long after).
    closes = held + by["ws_upgrade"].get("closed", []) + by["api_body"].get("closed", [])
    assert len(by["ws_upgrade"].get("closed", [])) == N_WS, summary
    assert len(by["api_body"].get("closed", [])) == N_BODY, summary
    lo, hi = min(closes), max(closes)
    assert lo >= HANDSHAKE_TIMEOUT_S - 0.3, f"closed too early: {lo:.2f}s"
    assert hi <= HANDSHAKE_TIMEOUT_S + 3.0, f"closed too late: {hi:.2f}s (handshake timeout {HANDSHAKE_TIMEOUT_S}s)"
    # Metrics show it.
    d_timeout = delta(m0, m1, "gateway_connections_rejected_total", reason="handshake_timeout")
    d_perip = delta(m0, m1, "gateway_connections_rejected_total", reason="per_ip")
    assert d_timeout >= len(closes), f"handshake_timeout counter +{d_timeout}, {len(closes)} closed"
    assert d_perip >= len(refused), f"per_ip counter +{d_perip}, {len(refused)} refused"
    # The normal client (127.0.0.1) was served promptly all along.
    lat = probe.summary_ms()
    assert not probe.failures, f"normal client failed during the attack: {probe.failures[:5]}"
    assert lat["n"] >= 20, lat
    assert lat["p99"] < 1000, f"normal client's p99 latency {lat['p99']} ms during the attack"
    # File descriptors come back.
    fds = abuselib_wait_fds(pid, fd0 + 10, 10)
    rss1 = rss_mb(pid)
    cq = quantiles(closes)
    results.record(
        "slowloris",
        connections={"http_head": N_HEAD, "ws_upgrade": N_WS, "api_body": N_BODY},
        held_then_closed=len(closes),
        refused_429_per_ip=len(refused),
        handshake_timeout_s=HANDSHAKE_TIMEOUT_S,
        closed_after_s={"min": round(lo, 2), "p50": cq["p50"], "p99": cq["p99"], "max": round(hi, 2)},
        normal_client_latency_ms=lat,
        metrics_delta={"handshake_timeout": d_timeout, "per_ip": d_perip},
        fds={"before": fd0, "after": fds},
        rss_mb={"before": round(rss0, 1), "peak": round(rss_peak, 1), "after": round(rss1, 1)},
        elapsed_s=round(elapsed, 1),
    )
    assert fds <= fd0 + 10, f"file descriptors {fd0} -> {fds}"


def abuselib_wait_fds(pid: int, target: int, timeout: float) -> int:
    deadline = time.monotonic() + timeout
    n = fd_count(pid)
    while n > target and time.monotonic() < deadline:
        time.sleep(0.2)
        n = fd_count(pid)
    return n
