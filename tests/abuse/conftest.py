"""Fixtures for the abuse scenarios (issue 8, "Faults": slowloris, churn, stalled
readers, hostile input, tokens cut off).

- `agw`: one gateway on the embedded broker with tests/abuse's configuration
  (abuselib.abuse_config: handshake timeout 2 s, max_frame_bytes 16 KiB, an API key,
  the disconnect slow-consumer policy on /topic/abuse.disc.**), started for the session.
- `rgw`: the same configuration on RabbitMQ (STOMP_TEST_RABBITMQ_URL, or
  $BROKER_STATE_DIR/env, or /tmp/stomp-gateway-brokers/env); skipped without it unless
  STOMP_TEST_REQUIRE_BROKERS=1.
- `results`: records each scenario's measured outcome, printed and written to
  test-results/abuse-results.json (for docs/RELIABILITY.md).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "push"))

import abuselib  # noqa: E402
import pushlib  # noqa: E402
from pushlib import Gateway, Publisher  # noqa: E402

abuselib.raise_nofile(20000)


def _rabbit_url() -> str | None:
    url = os.environ.get("STOMP_TEST_RABBITMQ_URL")
    if url:
        return url
    for state in (os.environ.get("BROKER_STATE_DIR"), "/tmp/stomp-gateway-brokers"):
        if not state:
            continue
        env = Path(state) / "env"
        if env.is_file():
            for line in env.read_text().splitlines():
                line = line.strip().removeprefix("export ").strip()
                if line.startswith("STOMP_TEST_RABBITMQ_URL="):
                    return line.split("=", 1)[1].strip().strip("'\"") or None
    return None


class _Started:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.gws: dict[str, Gateway] = {}
        self.pubs: dict[str, Publisher] = {}

    def get(self, kind: str) -> Gateway:
        if kind not in self.gws:
            url = None
            if kind == "rabbitmq":
                url = _rabbit_url()
                if not url:
                    msg = "RabbitMQ not configured (bash scripts/brokers.sh start rabbitmq)"
                    if os.environ.get("STOMP_TEST_REQUIRE_BROKERS") == "1":
                        pytest.fail(msg, pytrace=False)
                    pytest.skip(msg)
            gw = Gateway(kind, self.root / kind, abuselib.abuse_config(), broker_url=url, name=f"abuse-{kind}")
            gw.start()
            self.gws[kind] = gw
        return self.gws[kind]

    def publisher(self, kind: str) -> Publisher:
        gw = self.get(kind)
        p = self.pubs.get(kind)
        if p is None or not p.conn.is_connected():
            p = Publisher(gw.broker_url, kind)
            self.pubs[kind] = p
        return p

    def stop(self) -> list[str]:
        problems = []
        for p in self.pubs.values():
            p.close()
        for kind, gw in self.gws.items():
            rc = gw.stop()
            if rc != 0:
                problems.append(f"{kind}: SIGTERM gave exit code {rc}\n{gw.diagnostics(30)}")
        return problems


@pytest.fixture(scope="session")
def started(tmp_path_factory):
    s = _Started(tmp_path_factory.mktemp("abuse"))
    yield s
    problems = s.stop()
    if problems:
        pytest.fail("\n".join(problems), pytrace=False)


@pytest.fixture(scope="session")
def agw(started) -> Gateway:
    return started.get("embedded")


@pytest.fixture(scope="session")
def rgw(started) -> Gateway:
    return started.get("rabbitmq")


@pytest.fixture
def apub(started, agw) -> Publisher:
    return started.publisher("embedded")


@pytest.fixture(scope="session")
def results() -> abuselib.Results:
    return abuselib.Results(HERE.parent.parent / "test-results" / "abuse-results.json")


@pytest.fixture(autouse=True)
def _gateways_still_up(request, started):
    yield
    for kind, gw in started.gws.items():
        if not gw.alive():
            pytest.fail(f"the {kind} abuse gateway died during {request.node.name}\n{gw.diagnostics()}", pytrace=False)


# ----------------------------------------------------------------------------- hard timeouts

DEFAULT_HARD_TIMEOUT = 60.0


def pytest_configure(config):
    config.addinivalue_line("markers", "hard_timeout(seconds): fail the test (SIGALRM) if it runs longer")


class HardTimeout(Exception):
    pass


@pytest.fixture(autouse=True)
def _hard_timeout(request):
    """Every test is bounded: SIGALRM after its hard_timeout (default 60 s) fails it."""
    import signal

    m = request.node.get_closest_marker("hard_timeout")
    seconds = float(m.args[0]) if m else DEFAULT_HARD_TIMEOUT

    def fire(signum, frame):
        raise HardTimeout(f"{request.node.name} exceeded its hard timeout of {seconds:.0f}s")

    old = signal.signal(signal.SIGALRM, fire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)
