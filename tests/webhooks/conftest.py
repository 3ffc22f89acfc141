"""Fixtures for the black-box webhook tests.

The server under test is `.build/debug/stomp-gateway` (override: STOMP_GATEWAY_BIN).
Each test starts its own gateway(s) with its own routes, through the `h` fixture:

- `broker` ("embedded", "rabbitmq"): the gateway runs its embedded broker in-process
  (`--broker-port 0`), or uses RabbitMQ (`--broker $STOMP_TEST_RABBITMQ_URL`).
- `rabbitmq_broker` ("rabbitmq"): RabbitMQ-only tests (durable topic subscriptions).
- `restartable_broker` ("standalone", "rabbitmq"): for tests that kill or stop the
  route gateway and expect the broker to keep the messages. "standalone" is a
  separate `stomp-gateway serve --broker-port 0` process without routes (one per
  session), which the route gateways use with `--broker stomp://127.0.0.1:PORT`.

RabbitMQ is skipped unless STOMP_TEST_RABBITMQ_URL is set (or found in
$BROKER_STATE_DIR/env, default /tmp/stomp-gateway-brokers/env) and reachable; with STOMP_TEST_REQUIRE_BROKERS=1 a missing
broker fails instead. Queue names are unique per test (uuid), so tests never share
messages on RabbitMQ.

At the end of each test: every receiver must have seen only valid signatures, and
every gateway the test did not kill must exit 0 on SIGTERM.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

import whlib  # noqa: E402
from whlib import Publisher, Receiver, WebhookGateway, config_text, uid  # noqa: E402


def require_brokers() -> bool:
    return os.environ.get("STOMP_TEST_REQUIRE_BROKERS") == "1"


DEFAULT_STATE_DIR = "/tmp/stomp-gateway-brokers"  # scripts/brokers.sh's default


def broker_state_dir() -> str | None:
    """$BROKER_STATE_DIR, else scripts/brokers.sh's default if it holds an env file."""
    state = os.environ.get("BROKER_STATE_DIR")
    if state:
        return state
    return DEFAULT_STATE_DIR if (Path(DEFAULT_STATE_DIR) / "env").is_file() else None


def rabbit_url() -> str | None:
    url = os.environ.get("STOMP_TEST_RABBITMQ_URL")
    if url:
        return url
    state = broker_state_dir()
    if state:
        env = Path(state) / "env"
        if env.is_file():
            for line in env.read_text().splitlines():
                line = line.strip().removeprefix("export ").strip()
                if line.startswith("STOMP_TEST_RABBITMQ_URL="):
                    return line.split("=", 1)[1].strip().strip("'\"") or None
    return None


def _need_rabbit() -> str:
    url = rabbit_url()
    if not url:
        msg = "STOMP_TEST_RABBITMQ_URL is not set (scripts/brokers.sh start rabbitmq; source $BROKER_STATE_DIR/env)"
    elif not whlib.stomp_reachable(url, "rabbitmq"):
        msg = f"RabbitMQ at {url} does not answer STOMP"
    else:
        return url
    if require_brokers():
        pytest.fail(msg + " and STOMP_TEST_REQUIRE_BROKERS=1", pytrace=False)
    pytest.skip(msg)


class Session:
    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.standalone: WebhookGateway | None = None
        self.standalone_failed: str | None = None

    def standalone_broker(self) -> WebhookGateway:
        """A broker-only gateway process (embedded broker, no routes), started once."""
        if self.standalone_failed:
            pytest.fail(f"the standalone broker failed to start earlier:\n{self.standalone_failed}", pytrace=False)
        if self.standalone is None or not self.standalone.alive():
            gw = WebhookGateway("embedded", self.workdir / "standalone-broker", config_text(None), name="standalone-broker")
            try:
                gw.start()
            except Exception as e:  # noqa: BLE001
                self.standalone_failed = str(e)
                raise
            self.standalone = gw
        return self.standalone

    def close(self) -> list[str]:
        if self.standalone is not None:
            rc = self.standalone.stop()
            if rc != 0:
                return [f"standalone broker: SIGTERM gave exit code {rc}\n{self.standalone.diagnostics(20)}"]
        return []


@pytest.fixture(scope="session")
def session_state(tmp_path_factory):
    s = Session(tmp_path_factory.mktemp("webhook-session"))
    yield s
    problems = s.close()
    if problems:
        pytest.fail("\n".join(problems), pytrace=False)


class Harness:
    """Per test: receivers, gateways, publishers; cleaned up and checked at the end."""

    def __init__(self, kind: str, workdir: Path, session: Session) -> None:
        self.kind = kind
        self.workdir = workdir
        self.session = session
        self.tag = uid()
        self.receivers: list[Receiver] = []
        self.gateways: list[WebhookGateway] = []
        self.publishers: dict[str, Publisher] = {}
        self.external_url: str | None = None
        if kind == "rabbitmq":
            self.external_url = _need_rabbit()
        elif kind == "standalone":
            self.external_url = session.standalone_broker().broker_url

    # -- names
    def queue(self, what: str) -> str:
        return f"/queue/wh-test.{what}.{self.tag}.{uid()[:6]}"

    # -- receivers
    def receiver(self, secrets=(whlib.SPEC_SECRET,), responder=None, name: str = "receiver") -> Receiver:
        r = Receiver(secrets, responder, name=name)
        self.receivers.append(r)
        return r

    # -- gateways
    def gateway(self, routes: dict | None, *, admin_keys=(whlib.ADMIN_KEY,), drain_seconds: float = 3, start: bool = True,
                name: str | None = None, extra_config: dict | None = None) -> WebhookGateway:
        n = name or f"gw{len(self.gateways) + 1}"
        gw = WebhookGateway(
            self.kind, self.workdir / n, config_text(routes, admin_keys=admin_keys, drain_seconds=drain_seconds, extra=extra_config),
            broker_url=self.external_url, name=n,
        )
        gw.killed = False  # type: ignore[attr-defined]
        self.gateways.append(gw)
        if start:
            try:
                gw.start()
            except BaseException:
                gw.stopped_by_test = True  # the start failure is the test's report; no second one at teardown
                raise
        return gw

    def broker_url(self, gw: WebhookGateway | None = None) -> str:
        if self.external_url:
            return self.external_url
        gw = gw or (self.gateways[-1] if self.gateways else None)
        assert gw is not None and gw.broker_url, "no gateway (embedded broker) started yet"
        return gw.broker_url

    @property
    def broker_kind(self) -> str:
        return "rabbitmq" if self.kind == "rabbitmq" else "embedded"

    def publisher(self, gw: WebhookGateway | None = None) -> Publisher:
        url = self.broker_url(gw)
        p = self.publishers.get(url)
        if p is None or not p.conn.is_connected():
            p = Publisher(url, self.broker_kind)
            self.publishers[url] = p
        return p

    def read_queue(self, destination: str, gw: WebhookGateway | None = None, **kw) -> list:
        return whlib.read_queue(self.broker_url(gw), self.broker_kind, destination, **kw)

    # -- teardown
    def close(self) -> list[str]:
        problems: list[str] = []
        for p in self.publishers.values():
            p.close()
        for gw in self.gateways:
            if gw.proc is None:
                continue
            was_running = gw.alive()
            rc = gw.stop(timeout=20)
            if getattr(gw, "killed", False) or getattr(gw, "stopped_by_test", False):
                continue
            if not was_running:
                problems.append(f"{gw.name} died during the test (exit code {rc})\n{gw.diagnostics(30)}")
            elif rc != 0:
                problems.append(f"{gw.name}: SIGTERM gave exit code {rc} (expected 0)\n{gw.diagnostics(30)}")
        for r in self.receivers:
            r.close()
            if r.errors:
                problems.append(f"{r.name}: {len(r.errors)} invalid request(s):\n" + "\n".join(r.errors[:10]))
        return problems


def _harness(request, tmp_path, session_state, kind):
    h = Harness(kind, tmp_path, session_state)
    yield h
    problems = h.close()
    if problems:
        pytest.fail("\n".join(problems), pytrace=False)


@pytest.fixture(params=["embedded", "rabbitmq"])
def broker(request) -> str:
    return request.param


@pytest.fixture(params=["standalone", "rabbitmq"])
def restartable_broker(request) -> str:
    return request.param


@pytest.fixture(params=["rabbitmq"])
def rabbitmq_broker(request) -> str:
    """For RabbitMQ-only tests (durable topics)."""
    return request.param


@pytest.fixture
def h(request, tmp_path, session_state):
    """The test's harness, on `broker`, `restartable_broker` or `rabbitmq_broker`
    (whichever the test asks for; none: embedded)."""
    if "rabbitmq_broker" in request.fixturenames:
        kind = "rabbitmq"
    elif "restartable_broker" in request.fixturenames:
        kind = request.getfixturevalue("restartable_broker")
    elif "broker" in request.fixturenames:
        kind = request.getfixturevalue("broker")
    else:
        kind = "embedded"
    yield from _harness(request, tmp_path, session_state, kind)
