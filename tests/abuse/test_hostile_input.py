"""Hostile input from browsers (issue 8, faults): CR/LF/NUL in STOMP headers and SSE
parameters, oversized frames, frames before CONNECT, unknown commands, garbage, huge
header counts, over-long HTTP request lines and headers → clear errors (STOMP ERROR with
`message`, HTTP 4xx with a JSON body), and no header injection into what *other*
subscribers of the same destination receive (STOMP frames and SSE event lines)."""

from __future__ import annotations

import json
import time
import urllib.parse

import pytest

import abuselib
from abuselib import MAX_FRAME_BYTES, delta, metrics_snapshot, read_http_response
from pushlib import SSEClient, StompWS, admin_token, events_path, msg_body, sync_live, uid

ATTACKS = {
    "lf_in_value": "x\nfoo:bar",
    "crlf_crlf_in_value": "x\r\n\r\nMESSAGE\ndestination:/topic/forged\n\nforged",
    "colon_and_backslash": "a:b\\c",
    "sse_lines": "x\n\nevent: error\ndata: {\"code\":\"forged\"}\n\nid: forged",
    "cr_only": "x\rinjected:1",
}


def _stomp_and_sse_watchers(gw, dest, tok, clients):
    w = clients(StompWS(gw))
    assert w.connect_stomp(tok).command == "CONNECTED"
    w.subscribe(dest, "sub-0", since="live", receipt="r0")
    assert w.expect("RECEIPT").headers["receipt-id"] == "r0"
    s = clients(SSEClient(gw, dest, tok, since="live")).open()
    assert s.status == 200
    return w, s


@pytest.fixture
def clients():
    opened = []

    def add(c):
        opened.append(c)
        return c

    yield add
    for c in reversed(opened):
        try:
            c.close()
        except Exception:  # noqa: BLE001
            pass


@pytest.mark.hard_timeout(60)
@pytest.mark.parametrize("kind", ["embedded", "rabbitmq"])
def test_header_values_with_crlf_cannot_inject_into_other_subscribers(kind, request, started, clients, results):
    """A browser SENDs (STOMP 1.2, escaped) header values holding LF, CRLFCRLF + a forged
    frame, SSE event lines, CR: the other subscribers' MESSAGE frames carry exactly the
    headers expected (the value intact, no extra header, no extra frame) and their SSE
    events are exactly one `message` each (no extra event or line)."""
    gw = started.get(kind)
    pub = started.publisher(kind)
    dest = f"/topic/abuse.inj.{uid()}"
    tok = admin_token()
    watcher, sse = _stomp_and_sse_watchers(gw, dest, tok, clients)
    sync_live(pub, dest, [sse])
    while watcher.try_frame(0.5) is not None:  # the probes
        pass
    sender = clients(StompWS(gw))
    assert sender.connect_stomp(tok).command == "CONNECTED"
    for i, (name, value) in enumerate(ATTACKS.items()):
        sender.send_frame("SEND", [("destination", dest), ("x-attack", value), ("content-type", "text/plain"), ("receipt", f"s{i}")], f"body-{name}")
        r = sender.expect("RECEIPT", 10)
        assert r.headers["receipt-id"] == f"s{i}"
    # STOMP subscriber: exactly len(ATTACKS) MESSAGE frames, headers exactly as expected.
    frames = watcher.messages(len(ATTACKS), 10)
    assert watcher.quiet_for(1.0) == [], "an extra frame arrived (injection)"
    allowed = {"subscription", "destination", "message-id", "ack", "content-length", "content-type", "x-attack"}
    broker_extra = {"persistent", "priority", "expires", "timestamp", "redelivered", "amqp-message-id", "x-amqp-message-id"}
    for f, (name, value) in zip(frames, ATTACKS.items()):
        names = [k for k, _ in f.header_list]
        assert f.headers["x-attack"] == value, f"{name}: header value altered: {f.headers['x-attack']!r}"
        assert names.count("x-attack") == 1 and names.count("destination") == 1 and names.count("subscription") == 1, f"{name}: {f.header_list}"
        unexpected = set(names) - allowed - broker_extra
        assert not unexpected, f"{name}: injected header(s) {unexpected}: {f.header_list}"
        assert "foo" not in names and "injected" not in names, f.header_list
        assert f.headers["destination"] == dest and f.text == f"body-{name}", f
    # SSE subscriber: exactly one message event per SEND; no forged event type, id or line.
    evs = sse.messages(len(ATTACKS), 10)
    assert sse.quiet_for(1.0) == [], "an extra SSE event arrived (injection)"
    types = {e.type for e in sse.events}
    assert types <= {"message"}, f"unexpected SSE event types: {types}"
    for ev, (name, value) in zip(evs, ATTACKS.items()):
        d = ev.json
        assert d["headers"]["x-attack"] == value, (name, d)
        assert msg_body(ev) == f"body-{name}"
        assert ev.id == d["position"], f"{name}: SSE id {ev.id!r} is not the position"
        assert "\n" not in ev.data, "data spans several lines"
    results.record(f"header_injection_{kind}", sends=len(ATTACKS), stomp_frames=len(frames), sse_events=len(evs), injected=0)


def _error(w: StompWS, timeout: float = 5.0):
    """The ERROR frame the gateway answers with, then the connection must close."""
    f = w.expect("ERROR", timeout)
    assert f.headers.get("message"), f"ERROR without a message header: {f}"
    w.wait_closed(5)
    return f


def _connected(gw, tok):
    w = StompWS(gw)
    assert w.connect_stomp(tok).command == "CONNECTED"
    return w


STOMP_CASES = {
    # name: (connect first?, raw frame, expected text in message/body)
    "frame_before_connect": (False, "SUBSCRIBE\ndestination:/topic/abuse.a\nid:1\n\n\x00", "expected connect first"),
    "unknown_command_before_connect": (False, "FOO\n\n\x00", "unknown command"),
    "unknown_command": (True, "FOO\nbar:baz\n\n\x00", "unknown command"),
    "garbage_lines": (True, "\x01\x02\x03\xff\nzz\n\n\x00", "malformed frame"),
    "bad_escape": (True, "SUBSCRIBE\ndestination:/topic/abuse.a\nid:1\\x\n\n\x00", "invalid escape"),
    "too_many_headers": (True, "SEND\ndestination:/topic/abuse.a\n" + "".join(f"h{i}:v\n" for i in range(200)) + "\nx\x00", "too many headers"),
    "over_long_header": (True, "SEND\ndestination:/topic/abuse.a\nh:" + "v" * (MAX_FRAME_BYTES + 10) + "\n\nx\x00", None),
    "transaction": (True, "BEGIN\ntransaction:t1\n\n\x00", "transactions are not supported"),
    "subscribe_without_id": (True, "SUBSCRIBE\ndestination:/topic/abuse.a\n\n\x00", "needs an id"),
    "bad_since": (True, "SUBSCRIBE\ndestination:/topic/abuse.a\nid:1\nsince:x\\r\\nid:2\n\n\x00", "invalid since"),
}


@pytest.mark.hard_timeout(90)
def test_stomp_hostile_frames_get_clear_errors(agw, results):
    tok = admin_token()
    outcomes = {}
    for name, (connect, raw, expect) in STOMP_CASES.items():
        w = _connected(agw, tok) if connect else StompWS(agw)
        try:
            w.send_raw(raw)
            if name == "over_long_header":
                # Bigger than http.max_frame_bytes: close 1009 (or an ERROR naming the limit).
                frames = w.wait_closed(5)
                errs = [f for f in frames if f.command == "ERROR"]
                assert w.close_code == 1009 or errs, f"{name}: no 1009 and no ERROR: {frames}, close {w.close_code}"
                outcomes[name] = f"close {w.close_code}" if not errs else errs[0].headers["message"]
                continue
            f = _error(w)
            text = (f.headers["message"] + " " + f.text).lower()
            assert expect in text, f"{name}: ERROR does not say {expect!r}: {f}"
            assert f.headers.get("gateway-code"), f"{name}: ERROR without gateway-code: {f}"
            outcomes[name] = f"{f.headers['message']} [{f.headers['gateway-code']}]"
        finally:
            w.close()
    # The gateway still serves.
    assert agw.http("GET", "/healthz")[0] == 200
    results.record("stomp_hostile_frames", cases=outcomes)


@pytest.mark.hard_timeout(60)
def test_oversized_websocket_message_closes_1009(agw, results):
    m0 = metrics_snapshot(agw)
    w = _connected(agw, admin_token())
    w.send_raw("SEND\ndestination:/topic/abuse.big\n\n" + "x" * (MAX_FRAME_BYTES + 1) + "\x00")
    frames = w.wait_closed(5)
    assert w.close_code == 1009, f"close code {w.close_code}, frames {frames}"
    d = delta(m0, metrics_snapshot(agw), "gateway_frames_rejected_total", reason="too_large")
    assert d >= 1, "gateway_frames_rejected_total{reason=too_large} did not move"
    # Exactly at the limit is fine.
    w2 = _connected(agw, admin_token())
    head = "SEND\ndestination:/topic/abuse.big\nreceipt:ok\n\n"
    w2.send_raw(head + "y" * (MAX_FRAME_BYTES - len(head) - 1) + "\x00")
    assert w2.expect("RECEIPT").headers["receipt-id"] == "ok"
    w2.close()
    results.record("oversized_frame", limit_bytes=MAX_FRAME_BYTES, close_code=w.close_code)


@pytest.mark.hard_timeout(60)
def test_nul_and_control_characters_in_stomp_headers(agw, apub, results):
    """NUL in a SEND header, control characters in a SUBSCRIBE destination: refused with
    an ERROR, or (if accepted) they never reach another subscriber as a raw NUL."""
    dest = f"/topic/abuse.nul.{uid()}"
    tok = admin_token()
    watcher = _connected(agw, tok)
    watcher.subscribe(dest, "w", since="live", receipt="rw")
    watcher.expect("RECEIPT")
    sender = _connected(agw, tok)
    sender.send_raw(f"SEND\ndestination:{dest}\nx-nul:a\x00MESSAGE\nsubscription:w\n\nforged\x00")
    f = sender.try_frame(3)
    outcome = {}
    if f is not None and f.command == "ERROR":
        outcome["send_nul_header"] = f.headers["message"]
    got = watcher.quiet_for(1.5)
    for g in got:
        raw = json.dumps(g.header_list)
        assert "\\u0000" not in raw, f"a raw NUL reached another subscriber's header: {g}"
        assert g.text != "forged" or g.headers.get("subscription") != "w" or g.headers.get("destination") == dest, g
    outcome["watcher_frames"] = len(got)
    sender.close()
    for name, d in {"nul": f"/topic/abuse.a\x00b", "cr": "/topic/abuse.a\rfoo:bar", "del": "/topic/abuse.a\x7fb"}.items():
        w = _connected(agw, tok)
        w.send_raw(f"SUBSCRIBE\ndestination:{d}\nid:1\nreceipt:r\n\n\x00")
        f = w.try_frame(3)
        assert f is not None, f"{name}: no answer"
        outcome[f"subscribe_{name}"] = f.command + (f" {f.headers.get('message')}" if f.command == "ERROR" else "")
        assert f.command == "ERROR", f"{name}: a destination with a control character was accepted: {f}"
        w.close()
    watcher.close()
    results.record("stomp_control_characters", **outcome)


SSE_CASES = {
    "destination_crlf": ({"destination": "/topic/abuse.a\r\nevent: error"}, None, 400),
    "destination_nul": ({"destination": "/topic/abuse.a\x00b"}, None, 400),
    "since_crlf": ({"destination": "/topic/abuse.a", "since": "x\r\nid: 1"}, None, 400),
    "token_crlf": ({"destination": "/topic/abuse.a", "access_token": "a.b.c\r\nevent: x"}, None, 401),
    "bad_percent": (None, "/events?destination=/topic/abuse.a%zz", 400),
    "no_destination": ({"access_token": "x"}, None, 400),
}


@pytest.mark.hard_timeout(60)
def test_sse_parameters_with_control_characters_are_refused(agw, results):
    tok = admin_token()
    outcome = {}
    for name, (params, path, status) in SSE_CASES.items():
        if path is None:
            q = dict(params)
            if "access_token" not in q:
                q["access_token"] = tok
            path = "/events?" + urllib.parse.urlencode(q, safe="/")
        code, headers, body = agw.http("GET", path, headers={"Origin": "https://shop.example"})
        assert code == status, f"{name}: {code} {body!r}"
        doc = json.loads(body)
        assert set(doc) >= {"error", "message"} and doc["message"], f"{name}: {doc}"
        assert "\r" not in headers.get("content-type", ""), headers
        outcome[name] = f"{code} {doc['error']}"
    # Last-Event-ID with a bad value (a raw CR is refused by the HTTP parser; an escaped one by the gateway).
    code, _, body = agw.http("GET", events_path(["/topic/abuse.a"], tok), headers={"Last-Event-ID": "x%0d%0aevent: error"})
    assert code == 400 and json.loads(body)["error"] == "bad_request", (code, body)
    outcome["last_event_id"] = f"{code}"
    s = abuselib.connect_from("127.0.0.1", agw)
    s.sendall(f"GET {events_path(['/topic/abuse.a'], tok)} HTTP/1.1\r\nHost: x\r\nLast-Event-ID: a\rid: 5\r\n\r\n".encode())
    code, _, body = read_http_response(s)
    s.close()
    assert code == 400 and json.loads(body)["error"] == "bad_request"
    outcome["last_event_id_raw_cr"] = f"{code}"
    # ?heartbeat= with CR/LF: refused (only comment and event are valid), never reflected.
    c = SSEClient(agw, "/topic/public.abuse", path="/events?destination=/topic/public.abuse&heartbeat=event%0d%0aevent:%20forged").open()
    try:
        assert c.status == 400, c.status
        assert b"forged" not in c.body, c.body
        outcome["heartbeat_crlf"] = str(c.status)
    finally:
        c.close()
    results.record("sse_hostile_parameters", cases=outcome)


@pytest.mark.hard_timeout(60)
def test_http_garbage_and_oversized_requests(agw, results):
    outcome = {}
    cases = {
        "garbage": b"\x00\x01\x02\xffgarbage\r\n\r\n",
        "long_request_line": b"GET /events?destination=/topic/a&x=" + b"a" * 200_000 + b" HTTP/1.1\r\nHost: x\r\n\r\n",
        "long_header": b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 200_000 + b"\r\n\r\n",
        "many_headers": b"GET /healthz HTTP/1.1\r\nHost: x\r\n" + b"".join(b"X-%d: v\r\n" % i for i in range(20_000)) + b"\r\n",
        "nul_in_header": b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-A: a\x00b\r\n\r\n",
        "lf_only_smuggle": b"GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
    }
    for name, req in cases.items():
        s = abuselib.connect_from("127.0.0.1", agw)
        try:
            s.sendall(req)
        except OSError:
            pass
        try:
            code, _, body = read_http_response(s)
        except (ConnectionError, TimeoutError, OSError) as e:
            code, body = None, repr(e).encode()
        finally:
            s.close()
        assert code in (400, 413, 414, 431), f"{name}: {code} {body[:200]!r}"
        assert json.loads(body)["error"], body
        outcome[name] = code
    assert agw.http("GET", "/healthz")[0] == 200
    results.record("http_hostile_requests", cases=outcome)
