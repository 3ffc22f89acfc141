#!/usr/bin/env bash
# One nginx + nchan fan-out run over Server-Sent Events: N EventSource subscribers
# (sse_load), HTTP publisher at R msg/s for S s.
#
#   bash bench_nchan_sse.sh CONNECTIONS RATE SECONDS
#
# Needs nginx + nchan running with the config in nchan.conf.example, except that the
# /sub location must also serve EventSource:
#     location = /sub { nchan_subscriber websocket eventsource; nchan_subscriber_first_message newest; nchan_channel_id bench; }
# (sed 's/nchan_subscriber websocket;/nchan_subscriber websocket eventsource;/'), and
# its pid file at $NCHAN_PID (default /tmp/nchan-run/nginx.pid). nchan answers an
# EventSource request with an unchunked, unbounded text/event-stream body
# (": hi", then "id: …" / "data: <published body>" per message); sse_load reads the
# timestamp from the start of the data. Server CPU = utime+stime of the nginx master and
# all its workers, from just before the first POST to 1 s after the last.
set -euo pipefail
cd "$(dirname "$0")"
N="${1:?connections}"; R="${2:?rate}"; S="${3:?seconds}"
SUB_URL="${SUB_URL:-http://127.0.0.1:8090/sub}"
PUB_URL="${PUB_URL:-http://127.0.0.1:8090/pub}"
source ./bench_lib.sh
[ -x ./sse_load ] || make sse_load >/dev/null
master="$(cat "${NCHAN_PID:-/tmp/nchan-run/nginx.pid}")"
bench_measure "nchan-sse nginx" "$master $(pgrep -P "$master" | tr '\n' ' ')" "$N" "$R" "$S" \
    -- ./sse_load --url "$SUB_URL" --connections "$N" --duration "$((S + 4))" \
    -- python3 publish.py --http-url "$PUB_URL" --rate "$R" --seconds "$S"
