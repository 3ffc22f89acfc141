"""Topic sources: a durable topic subscription (RabbitMQ) keeps what is published
while the gateway is away; the embedded broker refuses durable topic routes at
start-up, and takes a non-durable topic route."""

from __future__ import annotations

import json

import pytest

from whlib import GatewayStartError, endpoint, route, stomp_connect, uid, wait_for


def test_embedded_broker_refuses_durable_topic_routes(h):
    rcv = h.receiver()
    gw = h.gateway({"orders": route(f"/topic/wh-test.{uid()}", {"crm": endpoint(rcv.url())})}, start=False)
    with pytest.raises(GatewayStartError) as e:
        gw.start(timeout=20)
    gw.stopped_by_test = True
    assert "webhooks.routes.orders.source" in str(e.value), str(e.value)[-2000:]
    assert gw.proc.returncode not in (0, None)


def test_embedded_non_durable_topic_route(h):
    rcv = h.receiver()
    topic = f"/topic/wh-test.{uid()}"
    gw = h.gateway({"orders": route(topic, {"crm": endpoint(rcv.url())}, durable=False)})
    h.publisher(gw).send(topic, b'{"live": 1}')
    [r] = rcv.wait_count(1, 10, "the topic message")
    assert r.body == b'{"live": 1}' and r.headers["x-stomp-destination"] == topic


def test_durable_topic_route_with_the_broker_named_on_the_command_line(h, rabbitmq_broker):
    rcv = h.receiver()
    topic, sub = f"/topic/wh-test.{uid()}", f"wh-test-sub-{uid()}"
    try:
        h.gateway({"orders": route(topic, {"crm": endpoint(rcv.url())}, subscription=sub, dead_letter=h.queue("dlq"))})
    finally:
        _drop_durable_subscription(h, topic, sub)


def _drop_durable_subscription(h, topic: str, sub: str) -> None:
    """Best effort: remove a durable subscription's queue from RabbitMQ."""
    try:
        conn, listener = stomp_connect(h.external_url, "rabbitmq")
        conn.subscribe(destination=topic, id=sub, ack="client-individual",
                       headers={"durable": "true", "auto-delete": "false", "persistent": "true"})
        conn.unsubscribe(id=sub, headers={"durable": "true", "persistent": "true"})
        conn.disconnect()
    except Exception:  # noqa: BLE001
        pass


def test_durable_topic_keeps_messages_while_the_gateway_is_away(h, rabbitmq_broker):
    """(broker.urls is also written into the configuration file: see the test above.)"""
    rcv = h.receiver()
    topic, sub = f"/topic/wh-test.{uid()}", f"wh-test-sub-{uid()}"
    routes = {"orders": route(topic, {"crm": endpoint(rcv.url())}, subscription=sub, dead_letter=h.queue("dlq"))}
    extra = {"broker": {"urls": [h.external_url]}}
    try:
        gw = h.gateway(routes, name="gw1", extra_config=extra)
        pub = h.publisher(gw)
        pub.send(topic, b'{"m": 1}')
        rcv.wait_count(1, 10, "the first topic message")
        assert gw.stop() == 0
        gw.stopped_by_test = True
        pub.publish(topic, [(json.dumps({"m": i}).encode(), None) for i in (2, 3)])
        gw2 = h.gateway(routes, name="gw2", extra_config=extra)
        rcv.wait_count(3, 10, "the messages published while the gateway was away")
        assert sorted(r.json["m"] for r in rcv.snapshot()) == [1, 2, 3]  # (no ordering key: any order)
        wait_for(lambda: gw2.routes()["orders"]["unacknowledged"] == 0, 10, "acknowledged")
        assert gw2.stop() == 0
        gw2.stopped_by_test = True
    finally:
        _drop_durable_subscription(h, topic, sub)
