"""Upstream subscriptions: 1,000 subscribers share one; a broker restart is survived
with a gap notice. Runs last (file name): the restart disturbs the shared RabbitMQ."""

from __future__ import annotations

import os
import re
import subprocess
import time

import pytest

from pushlib import REPO, Gateway, Publisher, SSEClient, admin_token, base_config, sync_live, uid

LOADCLIENT = REPO / "Benchmarks" / "loadclient"


def _upstream_count(gw: Gateway) -> float:
    m = re.search(r"^gateway_upstream_subscriptions (\S+)$", gw.metrics(), re.M)
    return float(m.group(1)) if m else 0


def _wait(cond, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


@pytest.fixture
def on_demand_gateway(gateway, tmp_path):
    """A gateway that subscribes upstream only on demand (feeds.retain: [])."""
    config = base_config(extra="feeds:\n  retain: []\n  upstream_grace_seconds: 1\n")
    # 1,000 connections from one address: above the default per-IP limit.
    config = config.replace("http:\n", "http:\n  max_connections_per_ip: 5000\n", 1)
    gw = Gateway(gateway.kind, tmp_path / "on-demand", config, broker_url=gateway.external_broker_url, name="on-demand")
    gw.start()
    yield gw
    gw.stop()


def test_a_thousand_subscribers_make_one_upstream_subscription(on_demand_gateway):
    gw = on_demand_gateway
    r = subprocess.run(["make", "-C", str(LOADCLIENT), "sse_load"], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert _upstream_count(gw) == 0
    dest = f"/topic/orders.{uid()}"
    url = f"http://127.0.0.1:{gw.http_port}/events?destination={dest}"
    proc = subprocess.Popen(
        [str(LOADCLIENT / "sse_load"), "--url", url, "--connections", "1000", "--duration", "4",
         "--header", f"Authorization: Bearer {admin_token()}", "--quiet"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    try:
        _wait(lambda: _connections(gw) >= 1000, 60, "1000 SSE connections")
        assert _upstream_count(gw) == 1, gw.metrics()
    finally:
        out, _ = proc.communicate(timeout=90)
    assert "subscribed=1000" in out, out
    # The last one left: released after the grace period (1 s).
    _wait(lambda: _upstream_count(gw) == 0, 15, "the upstream subscription to be released")


def _connections(gw: Gateway) -> float:
    m = re.search(r'^gateway_connections\{transport="sse"\} (\S+)$', gw.metrics(), re.M)
    return float(m.group(1)) if m else 0


def test_broker_restart_feeds_carry_on_with_a_gap_notice(gateway, tmp_path):
    if gateway.kind != "rabbitmq":
        pytest.skip("the embedded broker lives in the gateway's process")
    state = os.environ.get("BROKER_STATE_DIR")
    if not state:
        pytest.skip("BROKER_STATE_DIR is not set: the test cannot restart RabbitMQ")
    gw = Gateway("rabbitmq", tmp_path / "restart", base_config(), broker_url=gateway.external_broker_url, name="restart")
    gw.start()
    try:
        dest = f"/topic/orders.{uid()}"
        client = SSEClient(gw, [dest], token=admin_token())
        client.open(5)
        pub = Publisher(gw.broker_url, "rabbitmq")
        sync_live(pub, dest, [client], timeout=20)
        pub.close()
        r = subprocess.run(["bash", str(REPO / "scripts" / "brokers.sh"), "restart", "rabbitmq"],
                           capture_output=True, text=True, timeout=180, env=dict(os.environ, BROKER_STATE_DIR=state))
        assert r.returncode == 0, r.stderr[-2000:]
        gap = client.next_event(60, types=["gap"])
        assert gap is not None, "no gap notice after the broker came back"
        assert gap.json["destination"] == dest and gap.json["missed"] == 0, gap
        # The feed carries on: a new status arrives on the same stream.
        pub = Publisher(gw.broker_url, "rabbitmq")
        deadline = time.monotonic() + 30
        got = None
        while time.monotonic() < deadline and got is None:
            pub.send(dest, "after")
            ev = client.next_event(1, types=["message"])
            if ev is not None:
                got = ev.json["body"]
        pub.close()
        assert got == "after"
        client.close()
    finally:
        gw.stop()
