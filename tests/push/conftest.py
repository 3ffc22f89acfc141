"""Fixtures for the browser-push black-box tests (docs/BROWSER-PUSH.md).

The server under test is `.build/debug/stomp-gateway` (override: STOMP_GATEWAY_BIN),
started as `serve --config … --http-port 0` with either the embedded broker
(`--broker-port 0`) or RabbitMQ (`--broker $STOMP_TEST_RABBITMQ_URL`).

- `gateway`: one shared gateway per broker kind ("embedded", "rabbitmq"). RabbitMQ
  is skipped unless STOMP_TEST_RABBITMQ_URL is set; with STOMP_TEST_REQUIRE_BROKERS=1
  a missing broker fails instead.
- `embedded_gateway`: the shared embedded one (for broker-independent tests).
- `keyed_gateway`: a gateway whose only keys are an RSA and an EC public key.
- `publisher`, `feed`, `sse`, `ws`: helpers bound to the test's gateway, closed
  at the end of the test.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

import pushlib  # noqa: E402
from pushlib import Feed, Gateway, Publisher, SSEClient, StompWS, uid  # noqa: E402

BROKER_KINDS = ["embedded", "rabbitmq"]


def require_brokers() -> bool:
    return os.environ.get("STOMP_TEST_REQUIRE_BROKERS") == "1"


def _rabbit_url() -> str | None:
    url = os.environ.get("STOMP_TEST_RABBITMQ_URL")
    if url:
        return url
    # scripts/brokers.sh writes $BROKER_STATE_DIR/env; honour it when present.
    state = os.environ.get("BROKER_STATE_DIR")
    if state:
        env = Path(state) / "env"
        if env.is_file():
            for line in env.read_text().splitlines():
                line = line.strip().removeprefix("export ").strip()
                if line.startswith("STOMP_TEST_RABBITMQ_URL="):
                    return line.split("=", 1)[1].strip().strip("'\"") or None
    return None


class Gateways:
    """Starts each shared gateway once, stops all at the end of the session."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.running: dict[str, Gateway] = {}
        self.publishers: dict[str, Publisher] = {}
        self.failed: dict[str, str] = {}

    def get(self, kind: str) -> Gateway:
        if kind in self.failed:
            pytest.fail(f"the {kind} gateway failed to start earlier:\n{self.failed[kind]}", pytrace=False)
        if kind not in self.running:
            url = None
            if kind == "rabbitmq":
                url = _rabbit_url()
                if not url:
                    msg = "STOMP_TEST_RABBITMQ_URL is not set (scripts/brokers.sh start rabbitmq; source $BROKER_STATE_DIR/env)"
                    if require_brokers():
                        pytest.fail(msg + " and STOMP_TEST_REQUIRE_BROKERS=1", pytrace=False)
                    pytest.skip(msg)
            gw = Gateway(kind, self.workdir / kind, pushlib.base_config(), broker_url=url, name=f"gateway-{kind}")
            try:
                gw.start()
            except Exception as e:  # noqa: BLE001
                self.failed[kind] = str(e)
                raise
            self.running[kind] = gw
        return self.running[kind]

    def publisher(self, kind: str) -> Publisher:
        gw = self.get(kind)
        p = self.publishers.get(kind)
        if p is None or not p.conn.is_connected():
            assert gw.broker_url, "no broker URL"
            p = Publisher(gw.broker_url, kind)
            self.publishers[kind] = p
        return p

    def stop_all(self) -> list[str]:
        problems = []
        for p in self.publishers.values():
            p.close()
        for kind, gw in self.running.items():
            rc = gw.stop()
            if rc != 0:
                problems.append(f"{kind} gateway: SIGTERM gave exit code {rc} (expected 0)\n{gw.diagnostics(20)}")
        return problems


@pytest.fixture(scope="session")
def gateways(tmp_path_factory):
    g = Gateways(tmp_path_factory.mktemp("push-gateways"))
    yield g
    problems = g.stop_all()
    if problems:
        pytest.fail("\n".join(problems), pytrace=False)


@pytest.fixture(scope="session", params=BROKER_KINDS)
def gateway(request, gateways) -> Gateway:
    return gateways.get(request.param)


@pytest.fixture(scope="session")
def embedded_gateway(gateways) -> Gateway:
    return gateways.get("embedded")


@pytest.fixture
def publisher(gateways, gateway) -> Publisher:
    return gateways.publisher(gateway.kind)


@pytest.fixture
def embedded_publisher(gateways, embedded_gateway) -> Publisher:
    return gateways.publisher("embedded")


@pytest.fixture(autouse=True)
def _gateway_still_up(request):
    """After each test: the gateway(s) it used must still be running."""
    yield
    for name in ("gateway", "embedded_gateway", "keyed_gateway"):
        if name not in request.fixturenames:
            continue
        try:
            gw = request.getfixturevalue(name)
        except BaseException:  # noqa: BLE001 - skipped/failed setup: nothing to check
            continue
        gw_obj = gw.gateway if hasattr(gw, "gateway") else gw
        if gw_obj.proc is not None and not gw_obj.alive():
            pytest.fail(f"the {gw_obj.name} process died during the test\n{gw_obj.diagnostics()}", pytrace=False)


class Clients:
    """Every SSE/WS client and feed a test opens, closed when it ends."""

    def __init__(self) -> None:
        self.items: list = []

    def add(self, c):
        self.items.append(c)
        return c

    def close(self) -> None:
        for c in reversed(self.items):
            try:
                c.close()
            except Exception:  # noqa: BLE001
                pass


@pytest.fixture
def clients():
    c = Clients()
    yield c
    c.close()


def _default_gateway(request) -> Gateway:
    for name in ("gateway", "embedded_gateway"):
        if name in request.fixturenames:
            return request.getfixturevalue(name)
    raise AssertionError("pass gw=… or request the gateway / embedded_gateway fixture")


@pytest.fixture
def sse(clients, request):
    """sse(destinations, token=…, since=…, …, gw=None, open=True) -> SSEClient."""

    def make(destinations, *, gw: Gateway | None = None, open: bool = True, timeout: float = 5.0, **kw) -> SSEClient:
        c = clients.add(SSEClient(gw or _default_gateway(request), destinations, **kw))
        if open:
            c.open(timeout)
        return c

    return make


@pytest.fixture
def ws(clients, request):
    """ws(gw=None, **StompWS kwargs) -> StompWS (WebSocket open, STOMP not yet connected)."""

    def make(*, gw: Gateway | None = None, **kw) -> StompWS:
        return clients.add(StompWS(gw or _default_gateway(request), **kw))

    return make


@pytest.fixture
def feed(clients, gateway, publisher):
    """feed(destination=None) -> Feed with a live holder subscriber (see pushlib.Feed)."""

    def make(destination: str | None = None, timeout: float = 10.0) -> Feed:
        d = destination or f"/topic/orders.{uid()}"
        f = clients.add(Feed(gateway, publisher, d))
        f.open(timeout)
        return f

    return make


# ----------------------------------------------------------------------------- public-key gateway


class KeyedGateway:
    def __init__(self, gateway: Gateway, rsa_private, ec_private, rsa_public_pem: bytes, ec_public_pem: bytes) -> None:
        self.gateway = gateway
        self.rsa_private = rsa_private
        self.ec_private = ec_private
        self.rsa_public_pem = rsa_public_pem
        self.ec_public_pem = ec_public_pem

    def alive(self) -> bool:
        return self.gateway.alive()


@pytest.fixture(scope="session")
def keyed_gateway(tmp_path_factory):
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec, rsa

    d = tmp_path_factory.mktemp("push-keyed")
    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ec_key = ec.generate_private_key(ec.SECP256R1())
    pub = dict(encoding=serialization.Encoding.PEM, format=serialization.PublicFormat.SubjectPublicKeyInfo)
    rsa_pem = rsa_key.public_key().public_bytes(**pub)
    ec_pem = ec_key.public_key().public_bytes(**pub)
    (d / "rsa_pub.pem").write_bytes(rsa_pem)
    (d / "ec_pub.pem").write_bytes(ec_pem)
    gw = Gateway("embedded", d, pushlib.keyed_config([str(d / "rsa_pub.pem"), str(d / "ec_pub.pem")]), name="gateway-keyed")
    gw.start()
    yield KeyedGateway(gw, rsa_key, ec_key, rsa_pem, ec_pem)
    rc = gw.stop()
    if rc != 0:
        pytest.fail(f"keyed gateway: SIGTERM gave exit code {rc}\n{gw.diagnostics(20)}", pytrace=False)
