"""Fixtures for the fault tests (tests/faults).

The broker under test is the RabbitMQ node scripts/brokers.sh runs under
$BROKER_STATE_DIR, with the RMQ_* port and node variables brokers.sh reads (defaults:
the standard ports). Its STOMP URL comes from $BROKER_STATE_DIR/env. Tests SIGKILL and
restart exactly that node (through brokers.sh, by its recorded PID), so
BROKER_STATE_DIR must be set explicitly: without it the suite skips (fails with
STOMP_TEST_REQUIRE_BROKERS=1). The node is running again when each test ends, also
on failure.

Each test has a hard deadline, `@pytest.mark.deadline(seconds)` (default 90): SIGALRM
interrupts the test with a failure, and the fixtures' cleanup still runs.

`h`: the test's harness (gateways, webhook receivers, publishers), cleaned up at the
end; every gateway the test did not SIGKILL must still be alive and exit 0 on SIGTERM.
"""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

import faultlib  # noqa: E402
import whlib  # noqa: E402
from faultlib import RabbitMQ, uid  # noqa: E402

DEFAULT_DEADLINE = 90


def require_brokers() -> bool:
    return os.environ.get("STOMP_TEST_REQUIRE_BROKERS") == "1"


def pytest_configure(config) -> None:
    config.addinivalue_line("markers", "deadline(seconds): hard time limit of the test (SIGALRM)")


class DeadlineExceeded(AssertionError):
    pass


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item):
    m = item.get_closest_marker("deadline")
    seconds = int(m.args[0]) if m else DEFAULT_DEADLINE

    def on_alarm(signum, frame):
        raise DeadlineExceeded(f"{item.name} exceeded its hard deadline of {seconds}s")

    old = signal.signal(signal.SIGALRM, on_alarm)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


def _skip_or_fail(msg: str) -> None:
    if require_brokers():
        pytest.fail(msg + " and STOMP_TEST_REQUIRE_BROKERS=1", pytrace=False)
    pytest.skip(msg)


@pytest.fixture(scope="session")
def rabbit() -> RabbitMQ:
    state = os.environ.get("BROKER_STATE_DIR")
    if not state:
        _skip_or_fail("BROKER_STATE_DIR is not set: the fault tests SIGKILL the RabbitMQ node of that state directory")
    r = RabbitMQ(state)
    if not (Path(state) / "env").is_file():
        _skip_or_fail(f"{state}/env is missing (scripts/brokers.sh start rabbitmq with this BROKER_STATE_DIR)")
    if not r.reachable():
        _skip_or_fail(f"RabbitMQ at {r.url} (state {state}) does not answer STOMP")
    return r


@pytest.fixture
def broker(rabbit):
    """The broker, guaranteed running again after the test (a test may kill it)."""
    yield rabbit
    rabbit.ensure_running()


class Harness:
    def __init__(self, workdir: Path, rabbit: RabbitMQ) -> None:
        self.workdir = workdir
        self.rabbit = rabbit
        self.tag = uid()
        self.gateways: list[whlib.WebhookGateway] = []
        self.receivers: list[whlib.Receiver] = []
        self.closers: list = []

    def queue(self, what: str) -> str:
        return f"/queue/faults.{what}.{self.tag}.{uid()[:6]}"

    def gateway(self, routes: dict | None = None, *, name: str | None = None, broker_url: str | None = None,
                extra: dict | None = None, start: bool = True, timeout: float = 40) -> whlib.WebhookGateway:
        n = name or f"gw{len(self.gateways) + 1}"
        gw = whlib.WebhookGateway("rabbitmq", self.workdir / n,
                                  whlib.config_text(routes, extra=extra), broker_url=broker_url or self.rabbit.url, name=n)
        gw.killed = False  # type: ignore[attr-defined]
        self.gateways.append(gw)
        if start:
            gw.start(timeout=timeout)
        return gw

    def receiver(self, responder=None, name: str = "receiver") -> whlib.Receiver:
        r = whlib.Receiver(responder=responder, name=name)
        self.receivers.append(r)
        return r

    def close(self) -> list[str]:
        problems: list[str] = []
        for c in reversed(self.closers):
            try:
                c()
            except Exception as e:  # noqa: BLE001
                problems.append(f"cleanup: {type(e).__name__}: {e}")
        for gw in self.gateways:
            if gw.proc is None:
                continue
            was_running = gw.alive()
            rc = gw.stop(timeout=20)
            if getattr(gw, "killed", False):
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


@pytest.fixture
def h(tmp_path, broker):
    harness = Harness(tmp_path, broker)
    yield harness
    problems = harness.close()
    if problems:
        pytest.fail("\n".join(problems), pytrace=False)


__all__ = ["faultlib"]
