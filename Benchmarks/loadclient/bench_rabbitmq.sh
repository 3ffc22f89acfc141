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
source ./bench_lib.sh
pid=""
for f in /tmp/stomp-gateway-brokers/rabbitmq/*.pid; do
    [ -r "$f" ] || continue
    p="$(awk '{print $1}' "$f")"
    if [ -r "/proc/$p/stat" ] && grep -q beam "/proc/$p/comm" 2>/dev/null; then pid="$p"; break; fi
done
[ -n "$pid" ] || pid="$(pgrep -f beam.smp | head -1)"
[ -n "$pid" ] || { echo "no beam.smp process found" >&2; exit 1; }
bench_measure "rabbitmq beam" "$pid" "$N" "$R" "$S" \
    -- ./stomp_ws_load --url "$URL" --connections "$N" --destination "$DEST" --duration "$((S + 4))" \
    -- python3 publish.py --rate "$R" --seconds "$S" --destination "$DEST"
