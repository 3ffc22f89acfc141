#!/usr/bin/env bash
# Black-box webhook tests against .build/debug/stomp-gateway.
#
#   tests/webhooks/run.sh [pytest args…]        e.g. tests/webhooks/run.sh -k ordering -v
#   tests/webhooks/run.sh --maxfail=1000         (run everything instead of stopping at the first failure)
#
# Environment: STOMP_GATEWAY_BIN (server binary), STOMP_TEST_RABBITMQ_URL (run the
# RabbitMQ half too; scripts/brokers.sh start rabbitmq writes it to
# $BROKER_STATE_DIR/env, which is read if BROKER_STATE_DIR is set; the restart test
# needs BROKER_STATE_DIR to restart RabbitMQ), and STOMP_TEST_REQUIRE_BROKERS=1 (a
# missing broker fails instead of skipping).
set -euo pipefail
cd "$(dirname "$0")/../.."
if ! python3 -m pip install -q --disable-pip-version-check pytest stomp.py standardwebhooks pika 2>/tmp/webhook-tests-pip.log; then
    echo "run.sh: pip install failed (see /tmp/webhook-tests-pip.log); using what is installed" >&2
fi
exec python3 -m pytest -q -p no:cacheprovider tests/webhooks -x "$@"
