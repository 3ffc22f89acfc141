#!/usr/bin/env bash
# Browser tests of `stomp-gateway demo`: headless Chromium (Playwright for Python, Debian's
# /usr/bin/chromium, never a downloaded browser) against .build/debug/stomp-gateway
# (override: STOMP_GATEWAY_BIN). Screenshots: $STOMP_DEMO_SCREENSHOTS.
#
#   tests/demo/run.sh [pytest args…]
set -euo pipefail
cd "$(dirname "$0")/../.."
CHROMIUM="${STOMP_TEST_CHROMIUM:-/usr/bin/chromium}"
if [ ! -x "$CHROMIUM" ]; then
    if [ "${STOMP_TEST_REQUIRE_BROWSER:-0}" = "1" ]; then
        echo "run.sh: $CHROMIUM is missing and STOMP_TEST_REQUIRE_BROWSER=1" >&2
        exit 1
    fi
    echo "run.sh: $CHROMIUM is missing: demo browser tests skipped"
    exit 0
fi
if ! python3 -m pip install -q --disable-pip-version-check pytest playwright 2>/tmp/demo-tests-pip.log; then
    echo "run.sh: pip install failed (see /tmp/demo-tests-pip.log); using what is installed" >&2
fi
exec python3 -m pytest -q -p no:cacheprovider tests/demo -x "$@"
