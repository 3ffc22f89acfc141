#!/usr/bin/env bash
# Fault tests (issue 8): broker SIGKILLed during fan-out and webhook delivery, a
# blackholed broker connection, the gateway SIGKILLed under load — against
# .build/debug/stomp-gateway and a real RabbitMQ.
#
#   tests/faults/run.sh [pytest args…]        e.g. tests/faults/run.sh -k blackhole -v
#
# The broker under test is the RabbitMQ node of scripts/brokers.sh under
# $BROKER_STATE_DIR (required: the tests SIGKILL and restart exactly that node, and
# leave it running), with the same RMQ_* variables brokers.sh was started with when
# they are not the defaults (RMQ_NODE, RMQ_AMQP_PORT, RMQ_STOMP_PORT, RMQ_WS_PORT,
# RMQ_DIST_PORT, RMQ_EPMD_PORT). Its STOMP URL is read from $BROKER_STATE_DIR/env.
# A private node for development, beside the shared one:
#
#   export BROKER_STATE_DIR=/tmp/stomp-gateway-faults-brokers RMQ_NODE=faults@localhost \
#          RMQ_AMQP_PORT=5682 RMQ_STOMP_PORT=61633 RMQ_WS_PORT=15684 RMQ_DIST_PORT=25682 RMQ_EPMD_PORT=4379
#   scripts/brokers.sh start rabbitmq && tests/faults/run.sh
#
# STOMP_GATEWAY_BIN: the server binary. STOMP_TEST_REQUIRE_BROKERS=1: a missing broker
# fails instead of skipping. Every test has a hard deadline (SIGALRM).
set -euo pipefail
cd "$(dirname "$0")/../.."
if ! python3 -m pip install -q --disable-pip-version-check pytest stomp.py websockets standardwebhooks pika 2>/tmp/faults-tests-pip.log; then
    echo "run.sh: pip install failed (see /tmp/faults-tests-pip.log); using what is installed" >&2
fi
exec python3 -m pytest -q -p no:cacheprovider tests/faults "$@"
