#!/usr/bin/env bash
# Abuse scenarios (issue 8: slowloris, connection churn, clients that stop reading,
# hostile input, tokens cut off) against .build/debug/stomp-gateway; each test has a
# hard timeout. Measured outcomes go to test-results/abuse-results.json.
#
#   tests/abuse/run.sh [pytest args…]        e.g. tests/abuse/run.sh -k slowloris -v -s
#
# Environment: STOMP_GATEWAY_BIN (server binary), STOMP_TEST_RABBITMQ_URL (else read
# from $BROKER_STATE_DIR/env or /tmp/stomp-gateway-brokers/env; the RabbitMQ cases are
# skipped without it), STOMP_TEST_REQUIRE_BROKERS=1 (a missing broker fails instead).
set -euo pipefail
cd "$(dirname "$0")/../.."
if ! python3 -m pip install -q --disable-pip-version-check pytest pyjwt cryptography websockets stomp.py 2>/tmp/abuse-tests-pip.log; then
    echo "run.sh: pip install failed (see /tmp/abuse-tests-pip.log); using what is installed" >&2
fi
ulimit -n 20000 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
exec python3 -m pytest -q -p no:cacheprovider -rs tests/abuse "$@"
