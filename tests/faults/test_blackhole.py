"""The broker connection blackholed: a TCP proxy between the gateway and RabbitMQ stops
forwarding in both directions but keeps every socket open (a dead network path: no
FIN, no RST). The gateway must notice by heart-beats within the negotiated window,
report not-ready, reconnect once the path carries new connections again, and its
feeds carry on with a gap notice for what may have been missed.
"""

from __future__ import annotations

import json
import re
import time

import pytest

from faultlib import BlackholeProxy, BrowserClient, ReadyzPoller, broker_ok, uid, wait_for
import whlib

RECONNECT_LIMIT = 25.0  # connect timeout (10 s) + the longest reconnect backoff (10 s) + slack


@pytest.mark.deadline(120)
def test_blackholed_broker_connection_detected_by_heartbeats_then_reconnects(h, broker):
    proxy = BlackholeProxy(broker.stomp_host, broker.stomp_port)
    h.closers.append(proxy.close)
    prefix = f"/topic/faults-bh-{uid()}"
    destination = f"{prefix}.order1"
    extra = {"feeds": {"retain": [f"{prefix}.**"]}, "auth": {"public_subscribe": [f"{prefix}.**"]},
             "sse": {"heartbeat_seconds": 1},
             # A short window (broker.heartbeat_ms; default 10 s, a 20 s window) keeps the test short.
             "broker": {"heartbeat_ms": 2000}}
    gw = h.gateway(None, name="gw-proxied", broker_url=f"stomp://guest:guest@127.0.0.1:{proxy.port}", extra=extra)
    log = gw.stderr_path.read_text(errors="replace")
    beats = [tuple(map(int, m)) for m in re.findall(r"heart-beat=(\d+),(\d+)", log)]
    assert beats, f"no negotiated heart-beat in the gateway's log:\n{log[-2000:]}"
    # The gateway declares the broker dead after 2x the negotiated receive interval (the
    # client's heart-beat tolerance; README "Client"): that is the window.
    window = 2 * max(b[1] for b in beats) / 1000
    assert window > 0, f"heart-beats were not negotiated: {beats}"

    client = BrowserClient("sse", "sse", gw, destination).start()
    h.closers.append(client.stop)
    publisher = whlib.Publisher(broker.url, "rabbitmq")
    h.closers.append(publisher.close)
    n = 0

    def publish() -> int:
        nonlocal n
        n += 1
        publisher.send(destination, json.dumps({"n": n}))
        return n

    # Live: a message reaches the browser through the proxied upstream subscription.
    wait_for(lambda: client.has(n) if n and client.has(n) else (publish() and False), 20, "the feed to be live", interval=0.3)
    before = n
    poller = ReadyzPoller(gw, interval=0.1)
    h.closers.append(poller.stop)
    time.sleep(0.5)

    t_hole = proxy.blackhole()
    during = publish()  # published while the path is dead: the gateway cannot get it
    t_detect = wait_for(lambda: poller.first(lambda c, b: c == 503 and broker_ok(c, b) is False, after=t_hole),
                        window + 10, "/readyz to report the broker connection down")
    detection = t_detect - t_hole
    _, down_body = next((c, b) for t, c, b in poller.samples if t == t_detect)
    assert client.gaps() == [] or client.gaps()[-1].t > t_hole

    t_restore = proxy.restore()
    t_ready = wait_for(lambda: poller.first(lambda c, b: c == 200 and bool(broker_ok(c, b)), after=t_restore),
                       RECONNECT_LIMIT + 5, "/readyz to report the broker connection back")
    reconnect = t_ready - t_restore
    # The feed carries on: a message published now reaches the browser (published until
    # one does: the upstream subscription is re-established right after the CONNECTED).
    after = wait_for(lambda: next((g.n for g in client.got if g.kind == "message" and g.n and g.n > during), None)
                     or (publish() and None), 20, "a message published after the recovery to reach the browser", interval=0.3)
    wait_for(lambda: client.gaps(), 5, "a gap notice on the browser's stream")
    poller.stop()
    client.stop()

    log = gw.stderr_path.read_text(errors="replace")
    assert detection <= window + 2, f"heart-beat loss detected after {detection:.1f}s; the negotiated window is {window:.0f}s"
    # Not earlier than the broker's own silence could be noticed (a heart-beat check, not a socket error).
    assert detection >= window / 4, f"detected after {detection:.1f}s: too early for a heart-beat timeout (window {window:.0f}s)"
    assert "reconnecting" in json.dumps(down_body), down_body
    assert reconnect <= RECONNECT_LIMIT, f"reconnected {reconnect:.1f}s after the path was restored"
    with client.lock:
        got = list(client.got)
    kinds = [(g.kind, g.n) for g in got]
    ns = client.ns()
    assert ns == sorted(set(ns)), f"duplicates or disorder: {ns}"
    assert before in ns and after in ns
    # Whatever the gateway may have missed (the message published into the dead path) is
    # announced: a gap notice between the last message before and the first one after.
    i_gap = next(i for i, g in enumerate(got) if g.kind == "gap")
    i_after = next(i for i, g in enumerate(got) if g.kind == "message" and g.n and g.n > during)
    i_before = max(i for i, g in enumerate(got) if g.kind == "message" and g.n is not None and g.n <= before)
    assert i_before < i_gap < i_after, f"the gap notice is not between the messages before and after: {kinds}"
    assert all(g.missed == 0 for g in got if g.kind == "gap")
    timeouts = [line for line in log.splitlines() if "heart" in line.lower() and ("lost" in line or "timeout" in line.lower() or "silent" in line.lower())]
    print(f"\n[blackhole] negotiated heart-beat {beats[0]} → window {window:.0f}s; /readyz down {detection:.1f}s after the "
          f"blackhole ({down_body['checks']['broker']['detail']!r}); reconnected {reconnect:.1f}s after the path was restored; "
          f"message #{during} (published into the dead path) {'received' if during in ns else 'missed'}, gap notice then #{after} "
          f"received; proxy accepted {proxy.accepted} connection(s); log: {timeouts[:1]}")
