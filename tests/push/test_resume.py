"""3. Resume after a disconnect (exactly what was missed, or a gap notice first).
4. Several destinations on one SSE connection: composite ids, resuming with one."""

from __future__ import annotations

import json

import pytest

from pushlib import HISTORY_MAX, POSITION_RE, admin_token, msg_body, parse_position, uid


def bodies(tag: str, n: int) -> list[str]:
    return [json.dumps({"status": f"{tag}{i}"}) for i in range(1, n + 1)]


def sse_pairs(evs):
    return [(e.json["position"], msg_body(e)) for e in evs]


def ws_pairs(frames):
    return [(f.headers.get("message-id"), f.text) for f in frames]


def _sse_first_session(f, sse):
    """Subscribe, see the current status and 3 live messages, disconnect; returns the last id."""
    c = sse(f.destination, token=admin_token())
    first = c.expect_event(5, "the current status")
    assert first.type == "message" and first.id == f.latest[0], first
    got = f.publish(bodies("a", 3))
    evs = c.messages(3, 5)
    assert sse_pairs(evs) == got
    last = evs[-1].id
    assert last == got[-1][0]
    c.close()
    return last


def _ws_first_session(f, ws):
    w = ws()
    assert w.connect_stomp(admin_token()).command == "CONNECTED"
    w.subscribe(f.destination, sub_id="s1")
    [cur] = w.messages(1, 5)
    assert cur.headers.get("message-id") == f.latest[0]
    got = f.publish(bodies("a", 3))
    frames = w.messages(3, 5)
    assert ws_pairs(frames) == got
    w.close()
    return frames[-1].headers["message-id"]


def _resubscribe_ws(ws, dest, since):
    w = ws()
    assert w.connect_stomp(admin_token()).command == "CONNECTED"
    w.subscribe(dest, sub_id="s2", since=since)
    return w


# ----------------------------------------------------------------------------- within the window


@pytest.mark.parametrize("how", ["last-event-id", "since", "last-event-id-beats-since"])
def test_sse_resume_gets_exactly_the_missed(gateway, feed, sse, how):
    f = feed()
    last = _sse_first_session(f, sse)
    away = f.publish(bodies("b", 5))
    if how == "last-event-id":
        c = sse(f.destination, token=admin_token(), last_event_id=last)
    elif how == "since":
        c = sse(f.destination, token=admin_token(), since=last)
    else:
        c = sse(f.destination, token=admin_token(), last_event_id=last, since="all")
    assert c.status == 200, (c.status, c.body)
    evs = c.messages(5, 5)
    assert sse_pairs(evs) == away
    assert [e.id for e in evs] == [p for p, _ in away]
    extra = c.quiet_for(0.5)
    assert extra == [], f"duplicates/extras after the resume: {extra}"


def test_ws_resume_gets_exactly_the_missed(gateway, feed, ws):
    f = feed()
    last = _ws_first_session(f, ws)
    away = f.publish(bodies("b", 5))
    w = _resubscribe_ws(ws, f.destination, since=last)
    frames = w.messages(5, 5)
    assert ws_pairs(frames) == away
    assert all(m.headers.get("subscription") == "s2" for m in frames)
    assert w.quiet_for(0.5) == []


# ----------------------------------------------------------------------------- window exceeded


def test_sse_resume_beyond_window_gets_gap_first(gateway, feed, sse):
    f = feed()
    last = _sse_first_session(f, sse)
    away = f.publish(bodies("b", 8))  # history.max_messages is 5: 3 fall out
    c = sse(f.destination, token=admin_token(), last_event_id=last)
    gap = c.expect_event(5, "the gap event")
    assert gap.type == "gap", f"expected a gap event first, got {gap}"
    g = gap.json
    assert g.get("destination") == f.destination, g
    assert g.get("missed") == 3, g
    epoch, _ = parse_position(g.get("position"))
    assert epoch == parse_position(last)[0], g
    evs = c.messages(HISTORY_MAX, 5)
    assert sse_pairs(evs) == away[-HISTORY_MAX:]
    assert c.quiet_for(0.5) == []


def test_ws_resume_beyond_window_gets_gap_first(gateway, feed, ws):
    f = feed()
    last = _ws_first_session(f, ws)
    away = f.publish(bodies("b", 8))
    w = _resubscribe_ws(ws, f.destination, since=last)
    gap = w.expect("MESSAGE")
    assert gap.headers.get("gateway-gap") == "true", f"expected a gap notice first, got {gap}"
    assert gap.headers.get("gateway-missed") == "3", gap
    assert parse_position(gap.headers.get("gateway-position"))[0] == parse_position(last)[0], gap
    assert gap.body == b"", gap
    assert gap.headers.get("destination") == f.destination, gap
    frames = w.messages(HISTORY_MAX, 5)
    assert ws_pairs(frames) == away[-HISTORY_MAX:]
    assert not any(m.headers.get("gateway-gap") for m in frames)
    assert w.quiet_for(0.5) == []


# ----------------------------------------------------------------------------- unknown epoch


def test_sse_unknown_epoch_gets_gap_of_unknown_size_then_all(gateway, feed, sse):
    f = feed()
    f.publish(bodies("s", HISTORY_MAX))
    c = sse(f.destination, token=admin_token(), last_event_id="nosuchepoch0-2")
    gap = c.expect_event(5, "the gap event")
    assert gap.type == "gap", gap
    assert gap.json.get("missed") == 0, gap
    assert gap.json.get("destination") == f.destination, gap
    evs = c.messages(HISTORY_MAX, 5)
    assert sse_pairs(evs) == f.seen[-HISTORY_MAX:]
    assert c.quiet_for(0.5) == []


def test_ws_unknown_epoch_gets_gap_of_unknown_size_then_all(gateway, feed, ws):
    f = feed()
    f.publish(bodies("s", HISTORY_MAX))
    w = _resubscribe_ws(ws, f.destination, since="nosuchepoch0-2")
    gap = w.expect("MESSAGE")
    assert gap.headers.get("gateway-gap") == "true", gap
    assert gap.headers.get("gateway-missed") == "0", gap
    assert ws_pairs(w.messages(HISTORY_MAX, 5)) == f.seen[-HISTORY_MAX:]
    assert w.quiet_for(0.5) == []


# ----------------------------------------------------------------------------- several destinations


def _check_composite(evs, dests, state):
    """Each event's id is the positions of all destinations, in destination order."""
    for e in evs:
        assert e.type == "message", e
        d = e.json
        i = dests.index(d["destination"])
        state[i] = d["position"]
        assert e.id is not None and e.id.split(",") == state, f"id {e.id!r}, expected {','.join(state)!r} after {e}"


def test_sse_several_destinations_composite_id_and_resume(gateway, feed, sse):
    fa, fb = feed(), feed()
    dests = [fa.destination, fb.destination]
    c = sse(dests, token=admin_token())
    assert c.status == 200, (c.status, c.body)
    # The current status of each destination.
    cur = c.messages(2, 5)
    assert sorted(sse_pairs(cur)) == sorted([fa.latest, fb.latest])
    state = [None, None]
    for e in cur:
        state[dests.index(e.json["destination"])] = e.json["position"]
    assert cur[-1].id.split(",") == state, cur[-1].id

    a1 = fa.publish(bodies("a", 1))
    b1 = fb.publish(bodies("b", 1))
    a2 = fa.publish(bodies("a2-", 1))
    evs = c.messages(3, 5)
    assert sse_pairs(evs) == a1 + b1 + a2
    _check_composite(evs, dests, state)
    last_id = evs[-1].id
    c.close()

    away_a = fa.publish(bodies("x", 1))
    away_b = fb.publish(bodies("y", 2))
    for kw in ({"last_event_id": last_id}, {"since": last_id}):
        r = sse(dests, token=admin_token(), **kw)
        assert r.status == 200, (kw, r.status, r.body)
        evs = r.messages(3, 5)
        got = sse_pairs(evs)
        assert [p for p in got if p in away_a] == away_a and [p for p in got if p in away_b] == away_b, got
        assert sorted(got) == sorted(away_a + away_b), got
        _check_composite(evs, dests, list(last_id.split(",")))
        assert r.quiet_for(0.4) == []
        r.close()


def test_sse_composite_id_has_sequence_0_for_an_empty_destination(gateway, feed, sse):
    fa = feed()
    empty = f"/topic/orders.{uid()}"
    c = sse([fa.destination, empty], token=admin_token())
    assert c.status == 200, (c.status, c.body)
    ev = c.expect_event(5, "the current status of the first destination")
    assert ev.type == "message" and ev.json["destination"] == fa.destination, ev
    parts = ev.id.split(",")
    assert len(parts) == 2 and parts[0] == fa.latest[0], ev.id
    m = POSITION_RE.match(parts[1])
    assert m and m.group(2) == "0", f"an empty destination's part should be EPOCH-0, got {parts[1]!r}"


def test_sse_every_emitted_id_is_accepted_as_last_event_id(gateway, feed, sse):
    """EventSource sends back whatever id it saw last; the gateway must accept its own ids."""
    fa = feed()
    empty = f"/topic/orders.{uid()}"
    c = sse([fa.destination, empty], token=admin_token())
    ev = c.expect_event(5, "the current status of the first destination")
    c.close()
    r = sse([fa.destination, empty], token=admin_token(), last_event_id=ev.id)
    assert r.status == 200, f"the gateway refused its own id {ev.id!r} as Last-Event-ID: {r.status} {r.body!r}"
    assert r.quiet_for(0.4) == []
