#!/usr/bin/env bash
# One stomp-gateway fan-out run: N subscribers on /stomp (STOMP over WebSocket), a
# publisher at R msg/s for S s into the gateway's embedded broker.
#
#   bash bench_gateway.sh CONNECTIONS RATE SECONDS
#
# Starts the release binary (GATEWAY_BIN, default .build-release/release/stomp-gateway,
# built with: swift build -c release --product stomp-gateway --scratch-path .build-release)
# on 127.0.0.1:18090 with its embedded broker on 127.0.0.1:16190, runs the same client
# and publisher as the peers' scripts, and stops it. Server CPU = utime+stime of the one
# gateway process (feeds, fan-out and the embedded broker receiving the publisher's
# messages) from just before the first SEND to 1 s after the last; memory = RSS growth
# over the connection phase divided by the connections.
set -euo pipefail
cd "$(dirname "$0")"
N="${1:?connections}"; R="${2:?rate}"; S="${3:?seconds}"
ROOT="$(cd ../.. && pwd)"
BIN="${GATEWAY_BIN:-$ROOT/.build-release/release/stomp-gateway}"
HTTP_PORT="${HTTP_PORT:-18090}"; BROKER_PORT="${BROKER_PORT:-16190}"
DEST="/topic/bench"
[ -x "$BIN" ] || { echo "no gateway binary at $BIN" >&2; exit 1; }
ulimit -n 65536 || true

config="$(mktemp /tmp/gateway-bench.XXXXXX.yaml)"
cat >"$config" <<YAML
http:
  max_connections: 60000
  max_connections_per_ip: 60000
  handshake_timeout_seconds: 120
  flush_delay_microseconds: ${FLUSH_DELAY_US:-10000}
auth:
  public_subscribe: ["$DEST"]
feeds:
  retain: ["$DEST"]
history:
  max_messages: 10
log:
  level: warning
YAML
log="$(mktemp /tmp/gateway-bench.XXXXXX.log)"
"$BIN" serve --config "$config" --http-port "$HTTP_PORT" --broker-port "$BROKER_PORT" >"$log" 2>&1 &
gpid=$!
cleanup() { kill "$gpid" 2>/dev/null || true; wait "$gpid" 2>/dev/null || true; rm -f "$config" "$log"; }
trap cleanup EXIT
for _ in $(seq 1 100); do
    grep -q "retained upstream subscription\|HTTP listening" "$log" && curl -sf "http://127.0.0.1:$HTTP_PORT/readyz" >/dev/null && break
    sleep 0.1
done
curl -sf "http://127.0.0.1:$HTTP_PORT/readyz" >/dev/null || { cat "$log"; exit 1; }
sleep 0.5

tck="$(getconf CLK_TCK)"
cpu() { sed 's/.*) //' "/proc/$gpid/stat" | awk '{print $12 + $13}'; }
rss() { awk '/^VmRSS/ {print $2}' "/proc/$gpid/status"; }

out="$(mktemp /tmp/stomp_ws_load.XXXXXX)"
rss0="$(rss)"
./stomp_ws_load --url "ws://127.0.0.1:$HTTP_PORT/stomp" --connections "$N" --destination "$DEST" \
    --duration "$((S + 4))" --passcode "" >"$out" 2>&1 &
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
python3 publish.py --port "$BROKER_PORT" --rate "$R" --seconds "$S" --destination "$DEST"
sleep 1
c1="$(cpu)"; t1="$(date +%s.%N)"
wait "$cpid" || true
cat "$out"
deliv="$(sed -n 's/.*deliveries_in_window=\([0-9]*\).*/\1/p' "$out")"
awk -v c0="$c0" -v c1="$c1" -v t="$tck" -v d="$deliv" -v n="$N" -v r="$R" -v s="$S" \
    -v r0="$rss0" -v r1="$rss1" -v t0="$t0" -v t1="$t1" 'BEGIN {
    cs = (c1 - c0) / t; ex = n * r * s
    printf "SERVER gateway cpu_s=%.2f over %.1f s wall (%.0f%% of one core) deliveries=%d expected=%d (%.1f%%) cpu_us_per_delivery=%.2f\n",
        cs, t1 - t0, 100 * cs / (t1 - t0), d, ex, 100 * d / ex, d ? cs * 1e6 / d : 0
    printf "SERVER gateway rss_kb before=%d after_connect=%d per_connection_kb=%.1f\n", r0, r1, (r1 - r0) / n
}'
rm -f "$out"
