#!/usr/bin/env bash
# The test command (README.md; called by .ci/run).
#
# Installs what the tests need (Debian's RabbitMQ, ActiveMQ, ruby-stomp and chromium;
# PyPI packages; Autobahn's suite under Python 2.7), starts RabbitMQ and ActiveMQ on
# loopback, runs the Swift tests under ThreadSanitizer, the black-box suites (push,
# WebSocket conformance, abuse, webhooks, browser, demo, deploy), a short libFuzzer run
# of every fuzz target, then the tests that kill and restart brokers, and stops the
# brokers again — also when something fails. docs/RELIABILITY.md says what each proves.
#
#   scripts/test.sh            # everything
#   SKIP_LINT=1 scripts/test.sh
set -euo pipefail
cd "$(dirname "$0")/.."

export BROKER_STATE_DIR="${BROKER_STATE_DIR:-/tmp/stomp-gateway-test-brokers}"
log() { printf '\n==> %s\n' "$*"; }

# Runs a command under ThreadSanitizer, keeping its output in test-results/, and, if
# ThreadSanitizer reported anything, prints every report again at the end so that it
# is in view (the test log above it runs to thousands of lines). Returns the command's
# status: a report alone makes it non-zero. scripts/tsan-suppressions.txt lists the
# reports that are not races, each with its reason; the matches are counted at exit.
tsan_run() {
    local name=$1 status=0
    shift
    mkdir -p test-results
    TSAN_OPTIONS="suppressions=$PWD/scripts/tsan-suppressions.txt:print_suppressions=1${TSAN_OPTIONS:+:$TSAN_OPTIONS}" \
        "$@" 2>&1 | tee "test-results/$name.log" || status=$?
    if grep -q 'WARNING: ThreadSanitizer' "test-results/$name.log"; then
        log "ThreadSanitizer reports in $name (whole log: test-results/$name.log)"
        awk '/^WARNING: ThreadSanitizer/ { on = 1 } on { print } /^SUMMARY: ThreadSanitizer/ { on = 0; print "" }' \
            "test-results/$name.log"
    fi
    return "$status"
}

log "installing test dependencies"
bash scripts/brokers.sh install

cleanup() {
    local status=$?
    log "stopping brokers"
    bash scripts/brokers.sh stop all || true
    exit "$status"
}
trap cleanup EXIT INT TERM

log "building the gateway (debug) for the black-box suites"
swift build --product stomp-gateway

log "building the Swift tests with ThreadSanitizer (.build-tsan)"
swift build --build-tests --sanitize=thread --scratch-path .build-tsan

if [ "${SKIP_LINT:-0}" != 1 ]; then
    log "swift format lint"
    swift format lint --strict --recursive --configuration .swift-format Sources Tests Package.swift
fi

log "starting RabbitMQ and ActiveMQ on loopback"
bash scripts/brokers.sh start all
# shellcheck disable=SC1091
source "$BROKER_STATE_DIR/env"
export STOMP_TEST_REQUIRE_BROKERS=1

log "swift test under ThreadSanitizer (embedded broker, RabbitMQ, ActiveMQ, stomp.py and ruby-stomp interop)"
# One test at a time: several suites check heart-beat timing in the hundreds of
# milliseconds, which two cores shared by every suite at once cannot keep. A data race
# report fails the run (ThreadSanitizer's exit code).
tsan_run swift-test-tsan \
    swift test --sanitize=thread --scratch-path .build-tsan --skip-build --no-parallel --skip Disruptive

log "browser push: black-box tests (Python websockets, raw HTTP SSE, PyJWT, the C libwebsockets client) against the embedded broker and RabbitMQ"
STOMP_GATEWAY_BIN="$PWD/.build/debug/stomp-gateway" bash tests/push/run.sh --maxfail=1000

log "WebSocket conformance: Autobahn fuzzingclient 0.8.2, cases 1-7 and 9, against /diagnostics/echo (same stack as /stomp)"
STOMP_GATEWAY_BIN="$PWD/.build/debug/stomp-gateway" bash scripts/autobahn.sh

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

log "fuzzing: a short libFuzzer run of every target in Fuzz/ (the long runs: Fuzz/RESULTS.md)"
bash scripts/fuzz.sh --debug --seconds 10

log "faults: RabbitMQ blackholed and SIGKILLed during fan-out and webhook delivery, gateway SIGKILLed under load"
STOMP_GATEWAY_BIN="$PWD/.build/debug/stomp-gateway" bash tests/faults/run.sh

log "swift test under ThreadSanitizer: brokers killed and restarted (one at a time)"
STOMP_TEST_DISRUPTIVE=1 tsan_run swift-test-tsan-disruptive \
    swift test --sanitize=thread --scratch-path .build-tsan --skip-build --filter Disruptive

log "all tests passed"
