#!/usr/bin/env bash
# Webhook deliveries: signed deliveries per second and added latency through the
# gateway, side by side with a peer in the same run:
#
#   bash Benchmarks/bench_webhooks.sh [BROKER_URL]
#
# - Throughput: COUNT messages (default 30000, 256-byte JSON) are put in a queue first;
#   then a gateway with one route (endpoint max_concurrency C) delivers them to nginx
#   (`return 204`). Deliveries/s is COUNT over the time from the first to the last
#   delivery (the gateway's own counter, polled every 100 ms), with the gateway's CPU
#   time per delivery. The peer is ApacheBench POSTing the same body to the same nginx
#   with C connections (`ab -k -c C`): the receiver's capacity on this machine without
#   a broker, signing or acknowledgements. The ratio gateway/ab is quoted.
# - Latency: 200 messages/s for 5 s, each stamped with the time it was published; a
#   Python receiver notes when each arrives. The peer is the same publisher POSTing the
#   same messages straight to the receiver. Added latency = gateway − direct.
#
# Without BROKER_URL a separate `stomp-gateway serve` runs the embedded broker
# (127.0.0.1:16300); the measured gateway connects to it like to a shop's broker.
# Needs: the release gateway (.build-release/release/stomp-gateway), nginx, ab
# (apache2-utils), python3 with stomp.py.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN="${GATEWAY_BIN:-$PWD/.build-release/release/stomp-gateway}"
COUNT="${COUNT:-30000}"
CONCURRENCY="${CONCURRENCY:-1 16 64}"
NGINX_PORT=18300; RECEIVER_PORT=18301; BROKER_PORT=16300; HTTP_PORT=18302
SECRET="whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
work="$(mktemp -d /tmp/bench-webhooks.XXXXXX)"
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    [ -f "$work/nginx.pid" ] && kill -QUIT "$(cat "$work/nginx.pid")" 2>/dev/null || true
    sleep 0.3
    rm -rf "$work"
}
trap cleanup EXIT
command -v nginx >/dev/null && command -v ab >/dev/null || { echo "needs nginx and ab (apt-get install nginx apache2-utils)" >&2; exit 1; }

mkdir -p "$work/nginx"
cat >"$work/nginx.conf" <<CONF
worker_processes 1;
pid $work/nginx.pid;
error_log $work/nginx/error.log;
events { worker_connections 4096; }
http {
    access_log off;
    client_body_temp_path $work/nginx/body;
    keepalive_requests 10000000;
    server { listen 127.0.0.1:$NGINX_PORT; location / { return 204; } }
}
CONF
nginx -p "$work/nginx" -c "$work/nginx.conf"

if [ -n "${1:-}" ]; then
    broker="$1"
else
    printf 'log:\n  level: warning\nfeeds:\n  retain: []\n' >"$work/broker.yaml"
    "$BIN" serve --config "$work/broker.yaml" --http-port 0 --broker-port "$BROKER_PORT" >"$work/broker.log" 2>&1 &
    pids+=($!)
    broker="stomp://127.0.0.1:$BROKER_PORT"
    for _ in $(seq 1 100); do (exec 3<>/dev/tcp/127.0.0.1/$BROKER_PORT) 2>/dev/null && break; sleep 0.1; done
fi
hostport="$(sed -E 's#^stomp://([^@]*@)?##; s#[/?].*$##' <<<"$broker")"
login="$(sed -nE 's#^stomp://([^:@]*):([^@]*)@.*#\1#p' <<<"$broker")"; login="${login:-guest}"
passcode="$(sed -nE 's#^stomp://([^:@]*):([^@]*)@.*#\2#p' <<<"$broker")"; passcode="${passcode:-guest}"
publish() { python3 Benchmarks/webhooks/publish.py "$@" --broker "$hostport" --login "$login" --passcode "$passcode"; }

start_gateway() { # url concurrency queue
    cat >"$work/gateway.yaml" <<CONF
log:
  level: warning
feeds:
  retain: []
webhooks:
  routes:
    bench:
      source: $3
      prefetch: $(($2 * 4 > 256 ? $2 * 4 : 256))
      endpoints:
        sink:
          url: $1
          secrets: [$SECRET]
          max_concurrency: $2
CONF
    "$BIN" serve --config "$work/gateway.yaml" --http-port "$HTTP_PORT" --broker "$broker" >"$work/gateway.log" 2>&1 &
    gateway=$!
    pids+=("$gateway")
}
delivered() {
    { curl -s "http://127.0.0.1:$HTTP_PORT/metrics" 2>/dev/null || true; } | awk '/^gateway_webhook_delivered_total/ {print $2; exit}'
}
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
stop_gateway() { kill "$gateway" 2>/dev/null || true; wait "$gateway" 2>/dev/null || true; }

ticks=$(getconf CLK_TCK)
printf '%s\n' "date: $(date -u +%Y-%m-%dT%H:%MZ)  machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo)  broker: $broker  messages: $COUNT"
printf '%-12s %14s %14s %8s %16s\n' concurrency "gateway/s" "ab/s" ratio "gateway CPU/dlv"
head -c 256 /dev/zero | tr '\0' 'x' >"$work/body.json"
for c in $CONCURRENCY; do
    queue="/queue/bench.webhooks.$c.$RANDOM$RANDOM"
    publish burst --queue "$queue" --count "$COUNT"
    start_gateway "http://127.0.0.1:$NGINX_PORT/hook" "$c" "$queue"
    total=$((COUNT + 1)); first=""; firstTicks=0
    for _ in $(seq 1 3000); do
        n="$(delivered)"; n="${n%.*}"; n="${n:-0}"
        if [ -z "$first" ] && [ "$n" -gt 0 ]; then first=$(date +%s.%N); firstCount=$n; firstTicks=$(cpu_ticks "$gateway"); fi
        [ "$n" -ge "$total" ] && break
        sleep 0.1
    done
    last=$(date +%s.%N); lastTicks=$(cpu_ticks "$gateway")
    stop_gateway
    rate=$(python3 -c "print(f'{($total - $firstCount) / ($last - $first):.0f}')")
    cpu=$(python3 -c "print(f'{($lastTicks - $firstTicks) / $ticks / max(1, $total - $firstCount) * 1e6:.0f} µs')")
    abrate=$(ab -q -k -c "$c" -n "$COUNT" -p "$work/body.json" -T application/json "http://127.0.0.1:$NGINX_PORT/hook" 2>/dev/null |
        awk '/Requests per second/ {printf "%.0f", $4}')
    printf '%-12s %14s %14s %7.2fx %16s\n' "$c" "$rate" "$abrate" "$(python3 -c "print($rate / $abrate)")" "$cpu"
done

echo
printf '%-12s %28s %28s %18s\n' concurrency "gateway p50/p90/p99 µs" "direct p50/p90/p99 µs" "added p50/p99 µs"
for c in $CONCURRENCY; do
    python3 Benchmarks/webhooks/receiver.py "$RECEIVER_PORT" >"$work/direct.txt" &
    receiver=$!
    sleep 0.5
    python3 Benchmarks/webhooks/publish.py direct --url "http://127.0.0.1:$RECEIVER_PORT/hook" --rate 200 --seconds 5
    kill -TERM "$receiver"; wait "$receiver" || true
    read -r _ d50 d90 d99 _ <"$work/direct.txt"

    python3 Benchmarks/webhooks/receiver.py "$RECEIVER_PORT" >"$work/gateway.txt" &
    receiver=$!
    queue="/queue/bench.latency.$c.$RANDOM$RANDOM"
    start_gateway "http://127.0.0.1:$RECEIVER_PORT/hook" "$c" "$queue"
    for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$HTTP_PORT/readyz" >/dev/null && break; sleep 0.1; done
    sleep 0.5
    publish paced --queue "$queue" --rate 200 --seconds 5
    sleep 1
    stop_gateway
    kill -TERM "$receiver"; wait "$receiver" || true
    read -r n g50 g90 g99 _ <"$work/gateway.txt"
    printf '%-12s %28s %28s %18s\n' "$c" "$g50/$g90/$g99" "$d50/$d90/$d99" "$((g50 - d50))/$((g99 - d99))  (n=$n)"
done
