"""2. Retained status: a late subscriber gets the current status; since=all / since=live."""

from __future__ import annotations

import json

from pushlib import HISTORY_MAX, admin_token, msg_body


def statuses(n: int, tag: str = "s") -> list[str]:
    return [json.dumps({"order": 42, "status": f"{tag}{i}"}) for i in range(1, n + 1)]


def ws_pairs(frames):
    return [(f.headers.get("message-id"), f.text) for f in frames]


# ----------------------------------------------------------------------------- SSE


def test_sse_late_subscriber_gets_latest_status(gateway, feed, sse):
    f = feed()
    f.publish(statuses(3))
    c = sse(f.destination, token=admin_token())
    ev = c.expect_event(5, "the current status")
    assert ev.type == "message", ev
    assert (ev.json["position"], msg_body(ev)) == f.latest
    assert ev.id == f.latest[0]
    extra = c.quiet_for(0.5)
    assert extra == [], f"only the latest status is due without since; also got {extra}"


def test_sse_since_all_gives_every_retained(gateway, feed, sse):
    f = feed()
    f.publish(statuses(HISTORY_MAX + 1))
    c = sse(f.destination, token=admin_token(), since="all")
    evs = c.messages(HISTORY_MAX, 5)
    assert [(e.json["position"], msg_body(e)) for e in evs] == f.seen[-HISTORY_MAX:]
    assert c.quiet_for(0.5) == []


def test_sse_since_live_gives_none_of_the_old(gateway, feed, sse):
    f = feed()
    f.publish(statuses(3))
    c = sse(f.destination, token=admin_token(), since="live")
    assert c.status == 200
    old = c.quiet_for(0.6)
    assert old == [], f"since=live must not replay retained messages, got {old}"
    [(pos, body)] = f.publish(statuses(1, tag="new"))
    ev = c.expect_event(5, "the live message")
    assert (ev.json["position"], msg_body(ev)) == (pos, body)


# ----------------------------------------------------------------------------- WebSocket


def _ws_subscribed(ws, dest, since=None, sub_id="sub-0"):
    w = ws()
    f = w.connect_stomp(admin_token())
    assert f.command == "CONNECTED", f
    w.subscribe(dest, sub_id=sub_id, since=since)
    return w


def test_ws_late_subscriber_gets_latest_status(gateway, feed, ws):
    f = feed()
    f.publish(statuses(3))
    w = _ws_subscribed(ws, f.destination)
    [m] = w.messages(1, 5)
    assert (m.headers.get("message-id"), m.text) == f.latest
    assert m.headers.get("destination") == f.destination, m
    assert m.headers.get("subscription") == "sub-0", m
    assert m.headers.get("content-type", "").startswith("application/json"), m
    assert w.quiet_for(0.5) == []


def test_ws_since_all_gives_every_retained(gateway, feed, ws):
    f = feed()
    f.publish(statuses(HISTORY_MAX + 2))
    w = _ws_subscribed(ws, f.destination, since="all")
    assert ws_pairs(w.messages(HISTORY_MAX, 5)) == f.seen[-HISTORY_MAX:]
    assert w.quiet_for(0.5) == []


def test_ws_since_live_gives_none_of_the_old(gateway, feed, ws):
    f = feed()
    f.publish(statuses(3))
    w = _ws_subscribed(ws, f.destination, since="live")
    old = w.quiet_for(0.6)
    assert old == [], f"since:live must not replay retained messages, got {old}"
    [(pos, body)] = f.publish(statuses(1, tag="new"))
    [m] = w.messages(1, 5)
    assert (m.headers.get("message-id"), m.text) == (pos, body)
