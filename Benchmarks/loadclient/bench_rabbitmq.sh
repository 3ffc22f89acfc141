#!/usr/bin/env bash
# One RabbitMQ Web-STOMP fan-out run: N WebSocket subscribers, publisher at R msg/s for S s.
#
#   bash bench_rabbitmq.sh CONNECTIONS RATE SECONDS [DESTINATION]
#
# Needs RabbitMQ running (bash scripts/brokers.sh start rabbitmq) and ./stomp_ws_load built.
# Prints the client's output, then server CPU seconds during the publishing phase
# (utime+stime of beam.smp, from just before the first SEND to 1 s after the last)
# and server CPU µs per delivery, plus beam RSS growth per connection.
set -euo pipefail
cd "$(dirname "$0")"
N="${1:?connections}"; R="${2:?rate}"; S="${3:?seconds}"; DEST="${4:-/topic/bench}"
URL="${URL:-ws://127.0.0.1:15674/ws}"

pid=""
for f in /tmp/stomp-gateway-brokers/rabbitmq/*.pid; do
    [ -r "$f" ] || continue
    p="$(awk '{print $1}' "$f")"
    if [ -r "/proc/$p/stat" ] && grep -q beam "/proc/$p/comm" 2>/dev/null; then pid="$p"; break; fi
done
[ -n "$pid" ] || pid="$(pgrep -f beam.smp | head -1)"
[ -n "$pid" ] || { echo "no beam.smp process found" >&2; exit 1; }
tck="$(getconf CLK_TCK)"
cpu() { sed 's/.*) //' "/proc/$pid/stat" | awk '{print $12 + $13}'; }   # utime+stime ticks
rss() { awk '/^VmRSS/ {print $2}' "/proc/$pid/status"; }                  # KB

out="$(mktemp /tmp/stomp_ws_load.XXXXXX)"
rss0="$(rss)"
./stomp_ws_load --url "$URL" --connections "$N" --destination "$DEST" --duration "$((S + 4))" >"$out" 2>&1 &
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
python3 publish.py --rate "$R" --seconds "$S" --destination "$DEST"
sleep 1
c1="$(cpu)"; t1="$(date +%s.%N)"
wait "$cpid" || true
cat "$out"
deliv="$(sed -n 's/.*deliveries_in_window=\([0-9]*\).*/\1/p' "$out")"
awk -v c0="$c0" -v c1="$c1" -v t="$tck" -v d="$deliv" -v n="$N" -v r="$R" -v s="$S" \
    -v r0="$rss0" -v r1="$rss1" -v t0="$t0" -v t1="$t1" 'BEGIN {
    cs = (c1 - c0) / t; ex = n * r * s
    printf "SERVER rabbitmq beam cpu_s=%.2f over %.1f s wall (%.0f%% of one core) deliveries=%d expected=%d (%.1f%%) cpu_us_per_delivery=%.1f\n",
        cs, t1 - t0, 100 * cs / (t1 - t0), d, ex, 100 * d / ex, d ? cs * 1e6 / d : 0
    printf "SERVER rabbitmq beam rss_kb before=%d after_connect=%d per_connection_kb=%.1f\n", r0, r1, (r1 - r0) / n
}'
rm -f "$out"
