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
[ -x ./sse_load ] || make sse_load >/dev/null
master="$(cat "${NCHAN_PID:-/tmp/nchan-run/nginx.pid}")"
pids="$master $(pgrep -P "$master" | tr '\n' ' ')"
tck="$(getconf CLK_TCK)"
cpu() { local t=0 p; for p in $pids; do t=$((t + $(sed 's/.*) //' "/proc/$p/stat" | awk '{print $12 + $13}'))); done; echo "$t"; }
rss() { local t=0 p; for p in $pids; do t=$((t + $(awk '/^VmRSS/ {print $2}' "/proc/$p/status"))); done; echo "$t"; }

out="$(mktemp /tmp/sse_load.XXXXXX)"
rss0="$(rss)"
./sse_load --url "$SUB_URL" --connections "$N" --duration "$((S + 4))" >"$out" 2>&1 &
cpid=$!
for _ in $(seq 1 1200); do
    grep -q '^READY' "$out" && break
    kill -0 "$cpid" 2>/dev/null || break
    sleep 0.1
done
grep -q '^READY' "$out" || { cat "$out"; kill "$cpid" 2>/dev/null; exit 1; }
sleep 1
rss1="$(rss)"
c0="$(cpu)"; t0="$(date +%s.%N)"
python3 publish.py --http-url "$PUB_URL" --rate "$R" --seconds "$S"
sleep 1
c1="$(cpu)"; t1="$(date +%s.%N)"
wait "$cpid" || true
cat "$out"
deliv="$(sed -n 's/.*deliveries_in_window=\([0-9]*\).*/\1/p' "$out")"
awk -v c0="$c0" -v c1="$c1" -v t="$tck" -v d="$deliv" -v n="$N" -v r="$R" -v s="$S" \
    -v r0="$rss0" -v r1="$rss1" -v t0="$t0" -v t1="$t1" 'BEGIN {
    cs = (c1 - c0) / t; ex = n * r * s
    printf "SERVER nchan-sse nginx cpu_s=%.2f over %.1f s wall (%.0f%% of one core) deliveries=%d expected=%d (%.1f%%) cpu_us_per_delivery=%.1f\n",
        cs, t1 - t0, 100 * cs / (t1 - t0), d, ex, 100 * d / ex, d ? cs * 1e6 / d : 0
    printf "SERVER nchan-sse nginx rss_kb before=%d after_connect=%d per_connection_kb=%.1f\n", r0, r1, (r1 - r0) / n
}'
rm -f "$out"
