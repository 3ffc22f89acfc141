# Shared by the bench_*.sh scripts: one measured fan-out run against a running server.
#
#   source bench_lib.sh
#   bench_measure LABEL "PID …" CONNECTIONS RATE SECONDS -- CLIENT ARGS… -- PUBLISHER ARGS…
#
# Starts the client, waits for its READY line (every connection subscribed), samples
# the server processes' RSS, then runs the publisher and reads their utime+stime from
# just before the first publish to 1 s after the last. Prints the client's output and
# two SERVER lines: CPU µs per delivery counted in the client's window, and RSS growth
# per connection over the connection phase.
bench_measure() {
    local label="$1" pids="$2" n="$3" r="$4" s="$5"
    shift 5
    [ "$1" = -- ] && shift
    local client=()
    while [ "$#" -gt 0 ] && [ "$1" != -- ]; do client+=("$1"); shift; done
    shift
    local publisher=("$@")
    local tck
    tck="$(getconf CLK_TCK)"
    _cpu() { local t=0 p; for p in $pids; do t=$((t + $(sed 's/.*) //' "/proc/$p/stat" | awk '{print $12 + $13}'))); done; echo "$t"; }
    _rss() { local t=0 p; for p in $pids; do t=$((t + $(awk '/^VmRSS/ {print $2}' "/proc/$p/status"))); done; echo "$t"; }

    local out cpid rss0 rss1 c0 c1 t0 t1 deliv
    out="$(mktemp /tmp/bench_client.XXXXXX)"
    rss0="$(_rss)"
    "${client[@]}" >"$out" 2>&1 &
    cpid=$!
    for _ in $(seq 1 1200); do
        grep -q '^READY' "$out" && break
        kill -0 "$cpid" 2>/dev/null || break
        sleep 0.1
    done
    grep -q '^READY' "$out" || { cat "$out"; kill "$cpid" 2>/dev/null; rm -f "$out"; return 1; }
    sleep 1
    rss1="$(_rss)"
    c0="$(_cpu)"; t0="$(date +%s.%N)"
    "${publisher[@]}"
    sleep 1
    c1="$(_cpu)"; t1="$(date +%s.%N)"
    wait "$cpid" || true
    cat "$out"
    deliv="$(sed -n 's/.*deliveries_in_window=\([0-9]*\).*/\1/p' "$out")"
    awk -v label="$label" -v c0="$c0" -v c1="$c1" -v t="$tck" -v d="$deliv" -v n="$n" -v r="$r" -v s="$s" \
        -v r0="$rss0" -v r1="$rss1" -v t0="$t0" -v t1="$t1" 'BEGIN {
        cs = (c1 - c0) / t; ex = n * r * s
        printf "SERVER %s cpu_s=%.2f over %.1f s wall (%.0f%% of one core) deliveries=%d expected=%d (%.1f%%) cpu_us_per_delivery=%.2f\n",
            label, cs, t1 - t0, 100 * cs / (t1 - t0), d, ex, 100 * d / ex, d ? cs * 1e6 / d : 0
        printf "SERVER %s rss_kb before=%d after_connect=%d per_connection_kb=%.1f\n", label, r0, r1, (r1 - r0) / n
    }'
    rm -f "$out"
}

# Starts the release gateway with its embedded broker for a fan-out run on /topic/bench;
# sets GATEWAY_PID and a trap that stops it. Environment: GATEWAY_BIN, HTTP_PORT (18090),
# BROKER_PORT (16190), FLUSH_DELAY_US (10000).
start_bench_gateway() {
    local root bin config log
    root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
    bin="${GATEWAY_BIN:-$root/.build-release/release/stomp-gateway}"
    [ -x "$bin" ] || { echo "no gateway binary at $bin" >&2; return 1; }
    ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)" || true
    config="$(mktemp /tmp/gateway-bench.XXXXXX.yaml)"
    log="$(mktemp /tmp/gateway-bench.XXXXXX.log)"
    cat >"$config" <<YAML
http:
  max_connections: 60000
  max_connections_per_ip: 60000
  handshake_timeout_seconds: 120
  flush_delay_microseconds: ${FLUSH_DELAY_US:-10000}
auth:
  public_subscribe: ["/topic/bench"]
feeds:
  retain: ["/topic/bench"]
history:
  max_messages: 10
log:
  level: warning
YAML
    "$bin" serve --config "$config" --http-port "${HTTP_PORT:-18090}" --broker-port "${BROKER_PORT:-16190}" >"$log" 2>&1 &
    GATEWAY_PID=$!
    # shellcheck disable=SC2064
    trap "kill $GATEWAY_PID 2>/dev/null; wait $GATEWAY_PID 2>/dev/null; rm -f '$config' '$log'" EXIT
    for _ in $(seq 1 100); do
        curl -sf "http://127.0.0.1:${HTTP_PORT:-18090}/readyz" >/dev/null && break
        sleep 0.1
    done
    curl -sf "http://127.0.0.1:${HTTP_PORT:-18090}/readyz" >/dev/null || { cat "$log"; return 1; }
    sleep 0.5
}
