"""8. Fan-out: 50 SSE and 5 WebSocket clients on one destination each get every one of
20 messages, in order, with the same positions; the gateway holds one upstream
subscription for the destination."""

from __future__ import annotations

import json
import time

from pushlib import admin_token, is_probe, msg_body, parse_metrics, sync_live, uid, ws_is_probe

N_SSE = 50
N_WS = 5
N_MSG = 20


def upstream_samples(text: str):
    return [(n, l, v) for n, l, v in parse_metrics(text) if "upstream_subscriptions" in n]


def test_fanout_50_sse_5_ws(gateway, publisher, sse, ws):
    dest = f"/topic/orders.{uid()}"
    tok = admin_token()
    first = sse(dest, token=tok)
    assert first.status == 200, (first.status, first.body)
    probe = sync_live(publisher, dest, [first])

    clients = [first]
    for _ in range(N_SSE - 1):
        c = sse(dest, token=tok)
        assert c.status == 200, (c.status, c.body)
        clients.append(c)
    # Each new client starts with the current status: the last probe (it is registered).
    for i, c in enumerate(clients[1:], 1):
        ev = c.expect_event(5, f"the current status on SSE client {i}")
        assert is_probe(ev) and msg_body(ev) == probe, (i, ev)

    sockets = []
    for i in range(N_WS):
        w = ws()
        assert w.connect_stomp(tok).command == "CONNECTED"
        w.subscribe(dest, sub_id=f"f{i}")
        [m] = w.messages(1, 5)
        assert ws_is_probe(m) and m.text == probe, (i, m)
        sockets.append(w)

    # One upstream subscription for the destination, however many watch it.
    samples = upstream_samples(gateway.metrics())
    assert samples, "no metric with 'upstream_subscriptions' in its name on /metrics"
    mine = [v for _, labels, v in samples if dest in labels.values()]
    if mine:
        assert mine == [1.0], f"upstream subscriptions for {dest}: {mine} (expected exactly 1)"
    else:
        assert max(v for _, _, v in samples) >= 1, samples

    bodies = [json.dumps({"n": i, "status": f"step-{i}"}) for i in range(N_MSG)]
    publisher.publish(dest, bodies)

    deadline = time.monotonic() + 15
    positions = None
    for i, c in enumerate(clients):
        evs = c.messages(N_MSG, max(0.5, deadline - time.monotonic()))
        got = [msg_body(e) for e in evs]
        assert got == bodies, f"SSE client {i}: {got}"
        pos = [e.id for e in evs]
        positions = positions or pos
        assert pos == positions, f"SSE client {i} saw other positions"
    for i, w in enumerate(sockets):
        frames = w.messages(N_MSG, max(0.5, deadline - time.monotonic()))
        assert [f.text for f in frames] == bodies, f"WS client {i}"
        assert [f.headers.get("message-id") for f in frames] == positions, f"WS client {i} saw other positions"
    for i, c in enumerate(clients):
        extra = c.quiet_for(0.01)
        assert extra == [], f"SSE client {i}: extra events {extra}"

    samples = upstream_samples(gateway.metrics())
    mine = [v for _, labels, v in samples if dest in labels.values()]
    assert (mine == [1.0]) if mine else max(v for _, _, v in samples) >= 1, samples
