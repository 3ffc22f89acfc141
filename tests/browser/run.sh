#!/usr/bin/env bash
# Browser tests of web/stomp-gateway.js: headless Chromium (Playwright for Python) against
# .build/debug/stomp-gateway (override: STOMP_GATEWAY_BIN).
#
#   tests/browser/run.sh [pytest args…]        e.g. tests/browser/run.sh -k websocket -v
#
# Uses Debian's /usr/bin/chromium (override: STOMP_TEST_CHROMIUM); never downloads a
# browser. Without it the suite is skipped (exit 0) unless STOMP_TEST_REQUIRE_BROWSER=1.
# STOMP_BROWSER_WEB_BASE=gateway loads stomp-gateway.js from the gateway's own /web/.
set -euo pipefail
cd "$(dirname "$0")/../.."
CHROMIUM="${STOMP_TEST_CHROMIUM:-/usr/bin/chromium}"
if [ ! -x "$CHROMIUM" ]; then
    if [ "${STOMP_TEST_REQUIRE_BROWSER:-0}" = "1" ]; then
        echo "run.sh: $CHROMIUM is missing and STOMP_TEST_REQUIRE_BROWSER=1" >&2
        exit 1
    fi
    echo "run.sh: $CHROMIUM is missing: browser tests skipped (STOMP_TEST_REQUIRE_BROWSER=1 makes this an error)"
    exit 0
fi
if ! python3 -m pip install -q --disable-pip-version-check pytest playwright pyjwt stomp.py 2>/tmp/browser-tests-pip.log; then
    echo "run.sh: pip install failed (see /tmp/browser-tests-pip.log); using what is installed" >&2
fi
exec python3 -m pytest -q -p no:cacheprovider tests/browser -x "$@"
