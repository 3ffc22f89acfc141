#!/usr/bin/env bash
# The test command (README.md; called by .ci/run).
#
# Installs what the tests need (Debian's RabbitMQ, ActiveMQ and ruby-stomp; stomp.py from
# PyPI), starts RabbitMQ and ActiveMQ on loopback, runs the whole suite against them and
# the embedded broker, then the tests that kill and restart brokers, and stops the
# brokers again — also when something fails.
#
#   scripts/test.sh            # everything
#   SKIP_LINT=1 scripts/test.sh
set -euo pipefail
cd "$(dirname "$0")/.."

export BROKER_STATE_DIR="${BROKER_STATE_DIR:-/tmp/stomp-gateway-test-brokers}"
log() { printf '\n==> %s\n' "$*"; }

log "installing test dependencies"
bash scripts/brokers.sh install

cleanup() {
    local status=$?
    log "stopping brokers"
    bash scripts/brokers.sh stop all || true
    exit "$status"
}
trap cleanup EXIT INT TERM

log "building (debug, with tests)"
swift build --build-tests

if [ "${SKIP_LINT:-0}" != 1 ]; then
    log "swift format lint"
    swift format lint --strict --recursive --configuration .swift-format Sources Tests Package.swift
fi

log "starting RabbitMQ and ActiveMQ on loopback"
bash scripts/brokers.sh start all
# shellcheck disable=SC1091
source "$BROKER_STATE_DIR/env"
export STOMP_TEST_REQUIRE_BROKERS=1

log "swift test (embedded broker, RabbitMQ, ActiveMQ, stomp.py and ruby-stomp interop)"
# One test at a time: several suites check heart-beat timing in the hundreds of
# milliseconds, which two cores shared by every suite at once cannot keep.
swift test --skip-build --no-parallel --skip Disruptive

log "browser push: black-box tests (Python websockets, raw HTTP SSE, PyJWT, the C libwebsockets client) against the embedded broker and RabbitMQ"
STOMP_GATEWAY_BIN="$PWD/.build/debug/stomp-gateway" bash tests/push/run.sh --maxfail=1000

log "abuse: slowloris, 10,000-connection churn, clients that stop reading, hostile input, tokens cut off (issue 8)"
STOMP_GATEWAY_BIN="$PWD/.build/debug/stomp-gateway" bash tests/abuse/run.sh --maxfail=1000

log "webhooks: black-box tests (standardwebhooks receiver; gateway SIGKILL and RabbitMQ restart last)"
STOMP_GATEWAY_BIN="$PWD/.build/debug/stomp-gateway" bash tests/webhooks/run.sh --maxfail=1000

log "browser: web/stomp-gateway.js and the demo in Debian's chromium (Playwright)"
export STOMP_TEST_REQUIRE_BROWSER=1
STOMP_GATEWAY_BIN="$PWD/.build/debug/stomp-gateway" STOMP_BROWSER_WEB_BASE=gateway bash tests/browser/run.sh --maxfail=1000
STOMP_GATEWAY_BIN="$PWD/.build/debug/stomp-gateway" bash tests/demo/run.sh --maxfail=1000

log "deploy/: every file with a validator here (docker-compose config, hadolint, nginx -t and a proxied smoke test, systemd-analyze, kubernetes-validate, promtool, check-config)"
STOMP_GATEWAY_BIN="$PWD/.build/debug/stomp-gateway" bash scripts/validate-deploy.sh

log "swift test: brokers killed and restarted (one at a time)"
STOMP_TEST_DISRUPTIVE=1 swift test --skip-build --filter Disruptive

log "all tests passed"
