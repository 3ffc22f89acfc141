#!/usr/bin/env bash
# One nginx + nchan fan-out run: N raw WebSocket subscribers, HTTP publisher at R msg/s for S s.
#
#   bash bench_nchan.sh CONNECTIONS RATE SECONDS
#
# Needs nginx + nchan running with the config in nchan.conf.example (127.0.0.1:8090,
# /sub websocket subscriber, /pub publisher) and its pid file at $NCHAN_PID
# (default /tmp/nchan-run/nginx.pid). Server CPU = utime+stime of the nginx master
# and all its workers, from just before the first POST to 1 s after the last.
set -euo pipefail
cd "$(dirname "$0")"
N="${1:?connections}"; R="${2:?rate}"; S="${3:?seconds}"
SUB_URL="${SUB_URL:-ws://127.0.0.1:8090/sub}"
PUB_URL="${PUB_URL:-http://127.0.0.1:8090/pub}"
source ./bench_lib.sh
master="$(cat "${NCHAN_PID:-/tmp/nchan-run/nginx.pid}")"
bench_measure "nchan nginx" "$master $(pgrep -P "$master" | tr '\n' ' ')" "$N" "$R" "$S" \
    -- ./stomp_ws_load --mode raw --url "$SUB_URL" --connections "$N" --duration "$((S + 4))" \
    -- python3 publish.py --http-url "$PUB_URL" --rate "$R" --seconds "$S"
