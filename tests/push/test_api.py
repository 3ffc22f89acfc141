"""The HTTP front door (docs/HTTP-API.md) with curl-like HTTP calls, against the
embedded broker, RabbitMQ and ActiveMQ: publish, ask one service, gather from three
with a deadline; bad input gets a clear 4xx."""

from __future__ import annotations

import http.client
import json
import os
import threading
import time

import pytest
import stomp

from pushlib import Gateway, _stomp_connection, base_config, mint, uid

KEY = "api-test-key-0123456789"
KINDS = ["embedded", "rabbitmq", "activemq"]


def _broker_url(kind: str) -> str | None:
    if kind == "embedded":
        return None
    url = os.environ.get("STOMP_TEST_RABBITMQ_URL" if kind == "rabbitmq" else "STOMP_TEST_ACTIVEMQ_URL")
    if not url:
        if os.environ.get("STOMP_TEST_REQUIRE_BROKERS") == "1":
            pytest.fail(f"no {kind} URL in the environment and STOMP_TEST_REQUIRE_BROKERS=1", pytrace=False)
        pytest.skip(f"no {kind} URL in the environment")
    return url


@pytest.fixture(scope="module", params=KINDS)
def api_gateway(request, tmp_path_factory):
    url = _broker_url(request.param)
    config = base_config(extra=f'api:\n  keys: ["{KEY}"]\n')
    gw = Gateway(request.param, tmp_path_factory.mktemp(f"api-{request.param}"), config, broker_url=url, name=f"api-{request.param}")
    gw.start()
    yield gw
    assert gw.stop() == 0


class Responder:
    """A service on `queue` written with stomp.py: answers after `delay` seconds."""

    def __init__(self, gw: Gateway, queue: str, answer: str, delay: float = 0.0):
        self.conn, _ = _stomp_connection(gw.broker_url, gw.kind)
        outer = self

        class Listener(stomp.ConnectionListener):
            def on_message(self, frame):
                def reply():
                    time.sleep(delay)
                    try:
                        outer.conn.send(
                            destination=frame.headers["reply-to"],
                            body=json.dumps({"answer": answer, "request": frame.body.decode()}),
                            headers={"correlation-id": frame.headers.get("correlation-id", ""), "content-type": "application/json"},
                        )
                    except stomp.exception.NotConnectedException:
                        pass  # a late reply after the test closed the responder (the gather test's slow one)

                threading.Thread(target=reply, daemon=True).start()

        self.conn.set_listener("responder", Listener())
        self.conn.subscribe(queue, id=uid(), ack="auto", headers={"receipt": "sub"})
        time.sleep(0.3)

    def close(self):
        self.conn.disconnect()


def post(gw: Gateway, path: str, body, headers: dict | None = None, timeout: float = 15):
    c = http.client.HTTPConnection(gw.http_host, gw.http_port, timeout=timeout)
    try:
        data = body if isinstance(body, (bytes, str)) else json.dumps(body)
        c.request("POST", path, body=data, headers={"Content-Type": "application/json", **(headers or {})})
        r = c.getresponse()
        raw = r.read()
        try:
            return r.status, json.loads(raw)
        except ValueError:
            return r.status, raw
    finally:
        c.close()


def test_publish_reaches_the_broker_after_its_receipt(api_gateway):
    gw = api_gateway
    queue = f"/queue/api.{uid()}"
    got = []
    conn, listener = _stomp_connection(gw.broker_url, gw.kind)

    class L(stomp.ConnectionListener):
        def on_message(self, frame):
            got.append((frame.headers, frame.body.decode()))

    conn.set_listener("q", L())
    status, answer = post(gw, "/api/publish", {"destination": queue, "body": {"status": "paid"}, "headers": {"x-order": "42"}}, {"X-API-Key": KEY})
    assert status == 202, answer
    assert answer["destination"] == queue and answer["id"]
    conn.subscribe(queue, id="1", ack="auto")
    deadline = time.monotonic() + 10
    while not got and time.monotonic() < deadline:
        time.sleep(0.05)
    conn.disconnect()
    assert got, "the published message is not on the queue"
    headers, body = got[0]
    assert json.loads(body) == {"status": "paid"}
    assert headers.get("x-order") == "42" and headers.get("gateway-message-id") == answer["id"]


def test_request_gets_the_reply_and_504_at_the_deadline(api_gateway):
    gw = api_gateway
    queue = f"/queue/menu.{uid()}"
    responder = Responder(gw, queue, "menu")
    try:
        status, answer = post(gw, "/api/request", {"destination": queue, "body": "hi", "timeout": 5}, {"X-API-Key": KEY})
        assert status == 200, answer
        assert json.loads(answer["body"]) == {"answer": "menu", "request": "hi"}
        assert answer["headers"]["correlation-id"]
    finally:
        responder.close()
    started = time.monotonic()
    status, answer = post(gw, "/api/request", {"destination": f"/queue/nobody.{uid()}", "timeout": 0.5}, {"X-API-Key": KEY})
    assert status == 504 and answer["error"] == "timeout", answer
    assert time.monotonic() - started < 3


def test_gather_from_three_with_a_deadline(api_gateway):
    gw = api_gateway
    fast = [f"/queue/svc.{uid()}" for _ in range(2)]
    slow = f"/queue/slow.{uid()}"
    responders = [Responder(gw, q, f"svc{i}") for i, q in enumerate(fast)] + [Responder(gw, slow, "slow", delay=3)]
    try:
        started = time.monotonic()
        status, answer = post(
            gw,
            "/api/gather",
            {
                "timeout": 1.0,
                "requests": [
                    {"destination": fast[0], "body": "a"},
                    {"destination": fast[1], "body": "b", "default": "x"},
                    {"destination": slow, "body": "c", "default": {"items": []}},
                ],
            },
            {"X-API-Key": KEY},
        )
        elapsed = time.monotonic() - started
        assert status == 200, answer
        results = answer["results"]
        assert [r["status"] for r in results] == ["ok", "ok", "timeout"], results
        assert json.loads(results[0]["body"])["answer"] == "svc0"
        assert json.loads(results[1]["body"])["answer"] == "svc1"
        assert results[2]["body"] == {"items": []}
        assert 0.9 <= elapsed < 2.5, elapsed
    finally:
        for r in responders:
            r.close()


@pytest.mark.parametrize("timeout", [1e300, 1e16, 9.3e15, 1.7976931348623157e308])
def test_a_huge_timeout_is_the_maximum_not_a_crash(api_gateway, timeout):
    """`"timeout": 1e300` overflowed the conversion to milliseconds and stopped the
    process, before the request was even authorized. Now it is `api.max_timeout`."""
    gw = api_gateway
    status, answer = post(gw, "/api/request", {"destination": "/queue/a", "timeout": timeout}, {})
    assert status == 401, answer
    queue = f"/queue/huge.{uid()}"
    responder = Responder(gw, queue, "huge")
    try:
        status, answer = post(gw, "/api/request", {"destination": queue, "body": "hi", "timeout": timeout}, {"X-API-Key": KEY})
        assert status == 200, answer
        assert json.loads(answer["body"])["answer"] == "huge"
        status, answer = post(
            gw,
            "/api/gather",
            {"timeout": timeout, "requests": [{"destination": queue, "body": "g", "timeout": timeout}]},
            {"X-API-Key": KEY},
        )
        assert status == 200, answer
        assert [r["status"] for r in answer["results"]] == ["ok"], answer
    finally:
        responder.close()
    assert gw.proc.poll() is None, "the gateway exited"


@pytest.mark.parametrize(
    "path,raw",
    [
        ("/api/publish", "[" * 900_000),
        ("/api/publish", '{"destination":"/queue/a","body":' + "[" * 100_000 + "]" * 100_000 + "}"),
        ("/api/publish", '{"destination":"/queue/a","body":1e400}'),
        ("/api/publish", '{"destination":"/queue/a","headers":{"x":1e400}}'),
        ("/api/publish", '{"destination":"/queue/a","body":"\\ud800"}'),
        ("/api/request", '{"destination":"/queue/a","timeout":-1e400}'),
        ("/api/request", '{"destination":"/queue/a","timeout":"1e300"}'),
        ("/api/gather", '{"requests":[{"destination":"/queue/a","timeout":0}]}'),
        ("/api/gather", '{"requests":[],"timeout":NaN}'),
    ],
    ids=[
        "array-nesting-900k", "body-nesting-100k", "body-1e400", "header-1e400", "lone-surrogate", "timeout-minus-1e400",
        "timeout-as-string", "gather-timeout-0", "gather-timeout-NaN",
    ],
)
def test_hostile_json_gets_a_400_and_the_gateway_stays_up(api_gateway, path, raw):
    status, answer = post(api_gateway, path, raw, {"X-API-Key": KEY})
    assert status == 400, answer
    assert answer["error"] == "bad_request" and answer["message"], answer
    assert api_gateway.proc.poll() is None, "the gateway exited"


@pytest.mark.parametrize(
    "body,headers,status,code",
    [
        ({"destination": "orders", "body": "x"}, {"X-API-Key": KEY}, 400, "bad_destination"),
        ("not json", {"X-API-Key": KEY}, 400, "bad_request"),
        ({"destination": "/queue/a", "headers": {"reply-to": "/queue/b"}}, {"X-API-Key": KEY}, 400, "bad_request"),
        ({"destination": "/queue/a", "body": "x" * (1 << 20 + 1)}, {"X-API-Key": KEY}, 413, "too_large"),
        ({"destination": "/queue/a"}, {}, 401, "unauthorized"),
        ({"destination": "/queue/a"}, {"X-API-Key": "wrong-key-0123456789"}, 401, "invalid_api_key"),
    ],
)
def test_bad_input_gets_a_clear_4xx(api_gateway, body, headers, status, code):
    got, answer = post(api_gateway, "/api/publish", body, headers)
    assert got == status, answer
    if isinstance(answer, dict):
        assert answer["error"] == code and answer["message"], answer


def test_token_publish_grants(api_gateway):
    gw = api_gateway
    granted = f"/queue/granted.{uid()}"
    token = mint(subscribe=[], publish=[granted])
    status, answer = post(gw, "/api/publish", {"destination": granted, "body": "ok"}, {"Authorization": f"Bearer {token}"})
    assert status == 202, answer
    status, answer = post(gw, "/api/publish", {"destination": f"/queue/other.{uid()}"}, {"Authorization": f"Bearer {token}"})
    assert status == 403 and "not allowed to publish" in answer["message"], answer
