#!/usr/bin/env bash
# Capacity: one gateway instance vs two on the same machine and the same RabbitMQ,
# SSE fan-out to N subscribers (sse_load) of one topic at R msg/s for S s.
#
#   bash bench_instances.sh CONNECTIONS RATE SECONDS [BROKER_URL]
#
# One instance: all N connections on it. Two instances: N/2 on each (two sse_load
# processes, their counts summed). Both read the topic from RabbitMQ
# (default stomp://guest:guest@127.0.0.1:61613). Prints, per setup, deliveries,
# CPU µs per delivery (all gateway processes together) and RSS per connection.
set -euo pipefail
cd "$(dirname "$0")"
N="${1:?connections}"; R="${2:?rate}"; S="${3:?seconds}"
BROKER="${4:-stomp://guest:guest@127.0.0.1:61613}"
source ./bench_lib.sh
[ -x ./sse_load ] || make sse_load >/dev/null
root="$(cd ../.. && pwd)"
bin="${GATEWAY_BIN:-$root/.build-release/release/stomp-gateway}"
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)" || true
work="$(mktemp -d /tmp/bench-instances.XXXXXX)"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
cat >"$work/gateway.yaml" <<YAML
http:
  max_connections: 60000
  max_connections_per_ip: 60000
  handshake_timeout_seconds: 120
auth:
  public_subscribe: ["/topic/bench"]
feeds:
  retain: ["/topic/bench"]
history:
  max_messages: 10
log:
  level: warning
YAML
start() { # port; sets STARTED to the pid
    "$bin" serve --config "$work/gateway.yaml" --http-port "$1" --broker "$BROKER" >"$work/gw-$1.log" 2>&1 &
    STARTED=$!
    pids+=("$STARTED")
    for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$1/readyz" >/dev/null && break; sleep 0.1; done
    sleep 0.5
}
# Two sse_load processes as one client: READY when both are, deliveries summed.
cat >"$work/two_clients.sh" <<'SH'
#!/usr/bin/env bash
n="$1"; d="$2"; shift 2
out1="$(mktemp)"; out2="$(mktemp)"
./sse_load --url "http://127.0.0.1:$1/events?destination=/topic/bench" --connections "$n" --duration "$d" >"$out1" 2>&1 &
p1=$!
./sse_load --url "http://127.0.0.1:$2/events?destination=/topic/bench" --connections "$n" --duration "$d" >"$out2" 2>&1 &
p2=$!
until grep -q '^READY' "$out1" && grep -q '^READY' "$out2"; do
    kill -0 "$p1" 2>/dev/null && kill -0 "$p2" 2>/dev/null || { cat "$out1" "$out2"; exit 1; }
    sleep 0.1
done
echo "READY both"
wait "$p1" "$p2" || true
cat "$out1" "$out2" | grep -v '^READY' | sed 's/deliveries_in_window=/window_deliveries=/'
a="$(sed -n 's/.*deliveries_in_window=\([0-9]*\).*/\1/p' "$out1")"; b="$(sed -n 's/.*deliveries_in_window=\([0-9]*\).*/\1/p' "$out2")"
echo "TOTAL deliveries_in_window=$((a + b))"
rm -f "$out1" "$out2"
SH
chmod +x "$work/two_clients.sh"

echo "== one instance, $N connections"
start 18601; a="$STARTED"
bench_measure one-instance "$a" "$N" "$R" "$S" \
    -- ./sse_load --url "http://127.0.0.1:18601/events?destination=/topic/bench" --connections "$N" --duration "$((S + 4))" \
    -- python3 publish.py --rate "$R" --seconds "$S" --destination /topic/bench
kill "$a"; wait "$a" 2>/dev/null || true
sleep 1
echo "== two instances, $((N / 2)) connections each"
start 18601; a="$STARTED"; start 18602; b="$STARTED"
bench_measure two-instances "$a $b" "$N" "$R" "$S" \
    -- "$work/two_clients.sh" "$((N / 2))" "$((S + 4))" 18601 18602 \
    -- python3 publish.py --rate "$R" --seconds "$S" --destination /topic/bench
