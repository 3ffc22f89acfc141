#!/usr/bin/env bash
# Real RabbitMQ and ActiveMQ Classic brokers for integration tests, on loopback only.
#
#   scripts/brokers.sh install                      # apt/pip packages (idempotent, needs root)
#   scripts/brokers.sh start   [rabbitmq|activemq|all]
#   scripts/brokers.sh stop    [rabbitmq|activemq|all]
#   scripts/brokers.sh kill    rabbitmq|activemq     # SIGKILL the broker process (crash)
#   scripts/brokers.sh restart rabbitmq|activemq     # start again after kill/stop
#   scripts/brokers.sh status                       # exit 0 if both run, 3 otherwise
#
# All state (config, data, logs, pid files) lives under $BROKER_STATE_DIR
# (default /tmp/stomp-gateway-brokers). After start/restart/stop,
# $BROKER_STATE_DIR/env holds `export STOMP_TEST_*_URL=...` lines for the brokers up:
#
#   RabbitMQ: AMQP 127.0.0.1:5672, STOMP 127.0.0.1:61613, Web-STOMP ws://127.0.0.1:15674/ws
#   ActiveMQ: STOMP 127.0.0.1:61623, OpenWire 127.0.0.1:61626 (no web console, no JMX)
#
# Only processes this script started (recorded by PID under the state dir) are ever
# signalled. Tunables: BROKER_START_TIMEOUT (s, default 90), BROKER_STOP_TIMEOUT
# (s, default 30), ACTIVEMQ_HEAP (default 512m), ACTIVEMQ_JAVA (java binary), and for a
# second RabbitMQ node beside the default one (its own BROKER_STATE_DIR too):
# RMQ_NODE (rabbit@localhost), RMQ_AMQP_PORT (5672), RMQ_STOMP_PORT (61613),
# RMQ_WS_PORT (15674), RMQ_DIST_PORT (25672), RMQ_EPMD_PORT (4369).

set -euo pipefail

STATE_DIR="${BROKER_STATE_DIR:-/tmp/stomp-gateway-brokers}"
case "$STATE_DIR" in
    /*) ;;
    *) STATE_DIR="$PWD/$STATE_DIR" ;;
esac
if [[ "$STATE_DIR" =~ [[:space:]] ]]; then   # ActiveMQ's xbean: URI and Erlang args break on it
    echo "[brokers] ERROR: BROKER_STATE_DIR must not contain whitespace: '$STATE_DIR'" >&2
    exit 1
fi
START_TIMEOUT="${BROKER_START_TIMEOUT:-90}"
STOP_TIMEOUT="${BROKER_STOP_TIMEOUT:-30}"

# RabbitMQ's ports and node name can be overridden (a second, private node beside the
# shared one, e.g. for tests that SIGKILL it); the defaults are the fixed ones above.
RMQ_AMQP_PORT="${RMQ_AMQP_PORT:-5672}"
RMQ_STOMP_PORT="${RMQ_STOMP_PORT:-61613}"
RMQ_WS_PORT="${RMQ_WS_PORT:-15674}"
RMQ_DIST_PORT="${RMQ_DIST_PORT:-25672}"
RMQ_EPMD_PORT="${RMQ_EPMD_PORT:-4369}"
RMQ_NODE="${RMQ_NODE:-rabbit@localhost}"
AMQ_STOMP_PORT=61623
AMQ_OPENWIRE_PORT=61626
AMQ_HEAP="${ACTIVEMQ_HEAP:-512m}"

RMQ_DIR="$STATE_DIR/rabbitmq"
AMQ_DIR="$STATE_DIR/activemq"
RMQ_SBIN=/usr/lib/rabbitmq/bin   # the real scripts, not /usr/sbin's su-to-rabbitmq wrappers
AMQ_HOME=/usr/share/activemq

log() { printf '[brokers] %s\n' "$*" >&2; }
die() { printf '[brokers] ERROR: %s\n' "$*" >&2; exit 1; }

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

# Tail of one or more log files, for error messages.
show_logs() {
    local f
    for f in "$@"; do
        [ -s "$f" ] || continue
        printf -- '----- last lines of %s -----\n' "$f" >&2
        tail -n 40 "$f" >&2 || true
    done
    printf -- '-----\n' >&2
}

# A process counts as alive if it exists and is not a zombie (PID 1 may reap slowly).
pid_alive() {
    [ -n "${1:-}" ] && [ -r "/proc/$1/stat" ] || return 1
    local st
    st="$(sed -n 's/^State:[[:space:]]*\([A-Z]\).*/\1/p' "/proc/$1/status" 2>/dev/null)"
    [ -n "$st" ] && [ "$st" != Z ] && [ "$st" != X ]
}

# Start time of a process (clock ticks since boot), to tell it from a later one with the same PID.
proc_start_time() { sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | awk '{print $20}'; }

# Records "PID STARTTIME" in a pid file.
save_pid() { echo "$2 $(proc_start_time "$2")" >"$1"; }

# Reads a pid file; prints the PID if that same process is still alive, else removes the stale file.
read_live_pid() {
    local file="$1" pid start
    [ -f "$file" ] || return 1
    read -r pid start <"$file" || true
    if [[ "${pid:-}" =~ ^[0-9]+$ ]] && pid_alive "$pid" &&
       { [ -z "${start:-}" ] || [ "$(proc_start_time "$pid")" = "$start" ]; }; then
        echo "$pid"
        return 0
    fi
    rm -f "$file"
    return 1
}

# Wait for a PID to exit; returns 1 on timeout.
wait_exit() {
    local pid="$1" timeout="$2" deadline
    deadline=$(( $(date +%s) + timeout ))
    while pid_alive "$pid"; do
        [ "$(date +%s)" -lt "$deadline" ] || return 1
        sleep 0.1
    done
    return 0
}

port_listening() { ss -Hltn "sport = :$1" 2>/dev/null | grep -q .; }

# One STOMP CONNECT round trip on 127.0.0.1:$1; succeeds when the answer is CONNECTED.
stomp_connected() {
    local port="$1" vhost="${2:-/}" login="${3:-}" passcode="${4:-}"
    timeout 5 bash -c '
        exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 1
        hdr="accept-version:1.2\nhost:$2\n"
        [ -n "$3" ] && hdr="${hdr}login:$3\npasscode:$4\n"
        printf "CONNECT\n${hdr}heart-beat:0,0\n\n\0" >&3
        IFS= read -r -t 4 line <&3 || exit 1
        case "$line" in CONNECTED*) ;; *) exit 1 ;; esac
        printf "DISCONNECT\n\n\0" >&3
        exec 3>&-
    ' _ "$port" "$vhost" "$login" "$passcode" 2>/dev/null
}

write_env_file() {
    mkdir -p "$STATE_DIR"
    local tmp="$STATE_DIR/env.tmp"
    : >"$tmp"
    if rmq_pid >/dev/null; then
        echo "export STOMP_TEST_RABBITMQ_URL=stomp://guest:guest@127.0.0.1:$RMQ_STOMP_PORT" >>"$tmp"
        echo "export STOMP_TEST_RABBITMQ_WS_URL=ws://127.0.0.1:$RMQ_WS_PORT/ws" >>"$tmp"
    fi
    if amq_pid >/dev/null; then
        echo "export STOMP_TEST_ACTIVEMQ_URL=stomp://127.0.0.1:$AMQ_STOMP_PORT" >>"$tmp"
    fi
    mv -f "$tmp" "$STATE_DIR/env"
}

# ----------------------------------------------------------------------------- install

broker_procs() { ps -eo pid=,args= | grep -E 'beam\.smp|epmd|activemq\.jar|rabbitmq' | grep -v -E 'grep|brokers\.sh' || true; }

apt_install() {
    # apt-get update only when the package lists are missing or cannot satisfy the request.
    if ! ls /var/lib/apt/lists/*_Packages >/dev/null 2>&1 ||
       ! apt-get install -y -s "$@" >/dev/null 2>&1; then
        apt-get update
    fi
    apt-get install -y "$@" || { apt-get update && apt-get install -y "$@"; }
}

POLICY_RC=/usr/sbin/policy-rc.d

do_install() {
    [ "$(id -u)" = 0 ] || die "install needs root (apt-get)"
    export DEBIAN_FRONTEND=noninteractive
    local pkgs=(rabbitmq-server activemq ruby-stomp openssl libwebsockets-dev libuv1-dev pkg-config make gcc chromium fonts-dejavu-core nginx) missing=() p
    for p in "${pkgs[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
    done
    if [ "${#missing[@]}" -gt 0 ]; then
        log "installing Debian packages: ${missing[*]}"
        # Keep the packages' init scripts from starting system-wide brokers: if there is
        # no policy-rc.d, put a temporary one in place that denies every start.
        local before after pid rc=0
        if [ ! -e "$POLICY_RC" ]; then
            printf '#!/bin/sh\n# temporary, from stomp-gateway scripts/brokers.sh\nexit 101\n' >"$POLICY_RC"
            chmod 755 "$POLICY_RC"
            trap 'rm -f "$POLICY_RC"' EXIT
        fi
        before="$(broker_procs | awk '{print $1}')"
        apt_install "${missing[@]}" || rc=$?
        if grep -q 'from stomp-gateway scripts/brokers.sh' "$POLICY_RC" 2>/dev/null; then
            rm -f "$POLICY_RC"
            trap - EXIT
        fi
        [ "$rc" = 0 ] || die "apt-get install ${missing[*]} failed (exit $rc)"
        # If the package scripts still started something (a policy-rc.d that allows
        # starts), stop exactly the processes that appeared during the installation.
        after="$(broker_procs | awk '{print $1}')"
        for pid in $after; do
            if ! grep -qx "$pid" <<<"$before"; then
                log "stopping process started by the package installation: pid $pid $(ps -o args= -p "$pid" 2>/dev/null | cut -c1-100 || true)"
                kill -TERM "$pid" 2>/dev/null || true
                wait_exit "$pid" 20 || kill -KILL "$pid" 2>/dev/null || true
            fi
        done
    else
        log "Debian packages already installed: ${pkgs[*]}"
    fi

    local py
    py="$(command -v python3 || true)"
    if [ -z "$py" ]; then
        apt_install python3 python3-pip || die "apt-get install python3 python3-pip failed"
        py="$(command -v python3)"
    fi
    if "$py" -c 'import stomp, websockets, pytest, jwt, cryptography, standardwebhooks, playwright, pika' 2>/dev/null; then
        log "python modules stomp.py, websockets, pytest, pyjwt, cryptography, standardwebhooks, playwright already installed ($py)"
    else
        if ! "$py" -m pip --version >/dev/null 2>&1; then
            apt_install python3-pip || die "apt-get install python3-pip failed"
        fi
        local modules=(stomp.py websockets pytest pyjwt cryptography standardwebhooks playwright pika)
        log "pip install ${modules[*]} ($py)"
        export PIP_ROOT_USER_ACTION=ignore
        # Debian's own python3 is "externally managed" (PEP 668); then allow pip anyway.
        "$py" -m pip install --quiet "${modules[@]}" ||
            "$py" -m pip install --quiet --break-system-packages "${modules[@]}" ||
            die "pip install ${modules[*]} failed"
    fi
    log "install done"
}

# ----------------------------------------------------------------------------- RabbitMQ

rmq_env() {
    export HOME="$RMQ_DIR/home"                 # .erlang.cookie lives here
    export RABBITMQ_CONF_ENV_FILE="$RMQ_DIR/rabbitmq-env.conf"
    export RABBITMQ_NODENAME="$RMQ_NODE"
    export RABBITMQ_USE_LONGNAME=false
    export RABBITMQ_NODE_IP_ADDRESS=127.0.0.1
    export RABBITMQ_NODE_PORT="$RMQ_AMQP_PORT"
    export RABBITMQ_DIST_PORT="$RMQ_DIST_PORT"
    export ERL_EPMD_ADDRESS=127.0.0.1
    export ERL_EPMD_PORT="$RMQ_EPMD_PORT"
    export RABBITMQ_CONFIG_FILE="$RMQ_DIR/rabbitmq.conf"
    export RABBITMQ_ADVANCED_CONFIG_FILE="$RMQ_DIR/advanced.config"
    export RABBITMQ_ENABLED_PLUGINS_FILE="$RMQ_DIR/enabled_plugins"
    export RABBITMQ_MNESIA_BASE="$RMQ_DIR/mnesia"
    export RABBITMQ_LOG_BASE="$RMQ_DIR/log"
    export RABBITMQ_PID_FILE="$RMQ_DIR/rabbit.pid"   # written by RabbitMQ itself; ours is beam.pid
    export RABBITMQ_FEATURE_FLAGS_FILE="$RMQ_DIR/feature_flags"
    # Erlang distribution (server and the CLI tools' own nodes) on loopback only.
    export RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}"
    export RABBITMQ_CTL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}"
}

rmq_configure() {
    mkdir -p "$RMQ_DIR/home" "$RMQ_DIR/mnesia" "$RMQ_DIR/log"
    chmod 700 "$RMQ_DIR/home"
    : >"$RMQ_DIR/rabbitmq-env.conf"   # keep /etc/rabbitmq/rabbitmq-env.conf out of it
    cat >"$RMQ_DIR/rabbitmq.conf" <<EOF
# generated by scripts/brokers.sh
listeners.tcp.default = 127.0.0.1:$RMQ_AMQP_PORT
listeners.ssl = none
stomp.listeners.tcp.1 = 127.0.0.1:$RMQ_STOMP_PORT
stomp.listeners.ssl = none
web_stomp.tcp.ip = 127.0.0.1
web_stomp.tcp.port = $RMQ_WS_PORT
loopback_users.guest = true
log.file.level = info
log.console = false
# A test machine may be short on disk; do not block publishers for that.
disk_free_limit.absolute = 50MB
EOF
    echo '[].' >"$RMQ_DIR/advanced.config"
    echo '[rabbitmq_stomp,rabbitmq_web_stomp].' >"$RMQ_DIR/enabled_plugins"
}

rmq_ctl() { "$RMQ_SBIN/rabbitmqctl" -n "$RMQ_NODE" "$@"; }

rmq_pid() { read_live_pid "$RMQ_DIR/beam.pid"; }

rmq_logs() { show_logs "$RMQ_DIR/log/startup.log" "$RMQ_DIR/log/$RMQ_NODE.log"; }

rmq_start() {
    command -v "$RMQ_SBIN/rabbitmq-server" >/dev/null || die "RabbitMQ is not installed; run: $0 install"
    local pid t0
    if pid="$(rmq_pid)"; then
        log "rabbitmq already running (pid $pid)"
        return 0
    fi
    rm -f "$RMQ_DIR/wrapper.pid" "$RMQ_DIR/rabbit.pid"
    local p
    for p in "$RMQ_AMQP_PORT" "$RMQ_STOMP_PORT" "$RMQ_WS_PORT" "$RMQ_DIST_PORT"; do
        port_listening "$p" && die "port $p is already in use by another process: $(ss -Hltnp "sport = :$p" | head -1)"
    done
    rmq_configure
    rmq_env
    t0="$(now)"

    # epmd: start our own (loopback only) unless one is already serving; record its PID.
    if ! read_live_pid "$RMQ_DIR/epmd.pid" >/dev/null && ! port_listening "$ERL_EPMD_PORT"; then
        setsid epmd -address 127.0.0.1 -port "$ERL_EPMD_PORT" </dev/null >>"$RMQ_DIR/log/epmd.log" 2>&1 &
        disown $!   # not this shell's job: no "Killed" notices, no waiting
        save_pid "$RMQ_DIR/epmd.pid" $!
        local i
        for i in $(seq 1 50); do port_listening "$ERL_EPMD_PORT" && break; sleep 0.1; done
        port_listening "$ERL_EPMD_PORT" || { show_logs "$RMQ_DIR/log/epmd.log"; die "epmd did not start listening on 127.0.0.1:$ERL_EPMD_PORT"; }
    fi

    log "starting rabbitmq (node $RMQ_NODE, state $RMQ_DIR)"
    echo "==== $(date -Is) start" >>"$RMQ_DIR/log/startup.log"
    # Foreground mode in the background: the wrapper sh traps TERM and its child is the
    # beam process; everything printed before logging is set up goes to startup.log.
    setsid "$RMQ_SBIN/rabbitmq-server" </dev/null >>"$RMQ_DIR/log/startup.log" 2>&1 &
    disown $!   # not this shell's job: no "Killed" notices, no waiting
    local wrapper=$!
    save_pid "$RMQ_DIR/wrapper.pid" "$wrapper"

    local deadline=$(( $(date +%s) + START_TIMEOUT ))
    while :; do
        if ! pid_alive "$wrapper"; then
            rmq_logs
            die "rabbitmq exited during startup"
        fi
        if [ "$(date +%s)" -ge "$deadline" ]; then
            rmq_logs
            rmq_abort_start "$wrapper"
            die "rabbitmq did not start within ${START_TIMEOUT}s (killed what this start launched)"
        fi
        local left=$(( deadline - $(date +%s) ))
        [ "$left" -le 10 ] || left=10
        if [ -s "$RMQ_DIR/rabbit.pid" ] &&
           timeout $(( left + 5 )) "$RMQ_SBIN/rabbitmqctl" -n "$RMQ_NODE" -q await_startup --timeout "$left" >/dev/null 2>&1; then
            break
        fi
        sleep 0.5
    done
    pid="$(tr -dc '0-9' <"$RMQ_DIR/rabbit.pid")"
    pid_alive "$pid" || { rmq_logs; die "rabbitmq answered but the pid in $RMQ_DIR/rabbit.pid ('$pid') is not running"; }
    save_pid "$RMQ_DIR/beam.pid" "$pid"
    # Listeners come up as part of boot; confirm STOMP answers.
    while ! stomp_connected "$RMQ_STOMP_PORT" / guest guest; do
        if [ "$(date +%s)" -ge "$deadline" ]; then
            rmq_logs
            rmq_abort_start "$wrapper"
            die "rabbitmq is up but STOMP on 127.0.0.1:$RMQ_STOMP_PORT did not answer CONNECTED within ${START_TIMEOUT}s (killed it)"
        fi
        sleep 0.3
    done
    log "rabbitmq ready in $(elapsed "$t0")s (beam pid $pid): amqp 127.0.0.1:$RMQ_AMQP_PORT, stomp 127.0.0.1:$RMQ_STOMP_PORT, web-stomp ws://127.0.0.1:$RMQ_WS_PORT/ws"
}

# Kills a start that did not become ready: the wrapper's children (beam) and the wrapper.
rmq_abort_start() {
    local wrapper="$1" child
    for child in $(pgrep -P "$wrapper" || true); do kill -KILL "$child" 2>/dev/null || true; done
    kill -KILL "$wrapper" 2>/dev/null || true
    rm -f "$RMQ_DIR/beam.pid" "$RMQ_DIR/wrapper.pid" "$RMQ_DIR/rabbit.pid"
    rmq_stop_epmd
}

rmq_stop_epmd() {
    local epmd
    if epmd="$(read_live_pid "$RMQ_DIR/epmd.pid")"; then
        kill -TERM "$epmd" 2>/dev/null || true
        wait_exit "$epmd" 5 || kill -KILL "$epmd" 2>/dev/null || true
        log "stopped epmd (pid $epmd)"
    fi
    rm -f "$RMQ_DIR/epmd.pid"
}

rmq_stop() {
    local pid wrapper="" t0
    t0="$(now)"
    wrapper="$(read_live_pid "$RMQ_DIR/wrapper.pid" || true)"
    if pid="$(rmq_pid)"; then
        rmq_env
        log "stopping rabbitmq (beam pid $pid)"
        if ! rmq_ctl -q shutdown --timeout "$STOP_TIMEOUT" >/dev/null 2>&1; then
            log "rabbitmqctl shutdown failed; sending SIGTERM to pid $pid"
            kill -TERM "$pid" 2>/dev/null || true
        fi
        if ! wait_exit "$pid" "$STOP_TIMEOUT"; then
            rmq_logs
            log "rabbitmq did not exit within ${STOP_TIMEOUT}s; sending SIGKILL to pid $pid"
            kill -KILL "$pid" 2>/dev/null || true
            wait_exit "$pid" 5 || die "rabbitmq pid $pid survives SIGKILL"
        fi
        log "rabbitmq stopped in $(elapsed "$t0")s"
    else
        log "rabbitmq is not running"
    fi
    # A wrapper left over from an interrupted start (beam never became ready).
    if [ -n "$wrapper" ] && pid_alive "$wrapper"; then rmq_abort_start "$wrapper"; fi
    rm -f "$RMQ_DIR/beam.pid" "$RMQ_DIR/wrapper.pid" "$RMQ_DIR/rabbit.pid"
    rmq_stop_epmd
}

rmq_kill() {
    local pid
    pid="$(rmq_pid)" || die "rabbitmq is not running"
    kill -KILL "$pid"
    wait_exit "$pid" 10 || die "rabbitmq pid $pid survives SIGKILL"
    # The wrapper sh exits by itself once its beam child is gone.
    rm -f "$RMQ_DIR/beam.pid" "$RMQ_DIR/rabbit.pid"
    log "rabbitmq killed (SIGKILL to beam pid $pid); epmd left running"
}

# ----------------------------------------------------------------------------- ActiveMQ

amq_java() {
    local j
    for j in "${ACTIVEMQ_JAVA:-}" /usr/lib/jvm/default-java/bin/java /usr/lib/jvm/java-17-openjdk-*/bin/java \
             /usr/lib/jvm/java-21-openjdk-*/bin/java /usr/lib/jvm/java-11-openjdk-*/bin/java; do
        [ -n "$j" ] && [ -x "$j" ] && { echo "$j"; return 0; }
    done
    command -v java || die "no java found for ActiveMQ (set ACTIVEMQ_JAVA)"
}

amq_configure() {
    mkdir -p "$AMQ_DIR/conf" "$AMQ_DIR/data" "$AMQ_DIR/tmp"
    cat >"$AMQ_DIR/conf/activemq.xml" <<EOF
<!-- generated by scripts/brokers.sh -->
<beans
  xmlns="http://www.springframework.org/schema/beans"
  xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
  xsi:schemaLocation="http://www.springframework.org/schema/beans http://www.springframework.org/schema/beans/spring-beans-2.0.xsd
  http://activemq.apache.org/schema/core http://activemq.apache.org/schema/core/activemq-core.xsd">

    <bean class="org.springframework.beans.factory.config.PropertyPlaceholderConfigurer"/>

    <broker xmlns="http://activemq.apache.org/schema/core"
            brokerName="stomp-gateway-test"
            useJmx="false"
            persistent="true"
            advisorySupport="true"
            dataDirectory="$AMQ_DIR/data">
        <persistenceAdapter>
            <kahaDB directory="$AMQ_DIR/data/kahadb"/>
        </persistenceAdapter>
        <transportConnectors>
            <transportConnector name="openwire" uri="tcp://127.0.0.1:$AMQ_OPENWIRE_PORT"/>
            <transportConnector name="stomp" uri="stomp://127.0.0.1:$AMQ_STOMP_PORT"/>
        </transportConnectors>
    </broker>
</beans>
EOF
    # Debian's ActiveMQ logs through log4j 1.2 (slf4j-log4j12): everything to console.log.
    cat >"$AMQ_DIR/conf/log4j.properties" <<'EOF'
log4j.rootLogger=INFO, stdout
log4j.logger.org.apache.activemq.spring=WARN
log4j.logger.org.springframework=WARN
log4j.logger.org.apache.xbean=WARN
log4j.appender.stdout=org.apache.log4j.ConsoleAppender
log4j.appender.stdout.layout=org.apache.log4j.PatternLayout
log4j.appender.stdout.layout.ConversionPattern=%d{ISO8601} | %-5p | %m | %c | %t%n
EOF
}

amq_pid() { read_live_pid "$AMQ_DIR/java.pid"; }

amq_logs() { show_logs "$AMQ_DIR/console.log"; }

amq_start() {
    [ -f "$AMQ_HOME/bin/activemq.jar" ] || die "ActiveMQ is not installed; run: $0 install"
    local pid t0 java
    if pid="$(amq_pid)"; then
        log "activemq already running (pid $pid)"
        return 0
    fi
    local p
    for p in "$AMQ_STOMP_PORT" "$AMQ_OPENWIRE_PORT"; do
        port_listening "$p" && die "port $p is already in use by another process: $(ss -Hltnp "sport = :$p" | head -1)"
    done
    amq_configure
    java="$(amq_java)"
    t0="$(now)"
    log "starting activemq ($java, heap $AMQ_HEAP, state $AMQ_DIR)"
    echo "==== $(date -Is) start" >>"$AMQ_DIR/console.log"
    # The same JVM options as Debian's /usr/bin/activemq, without its JAVA_HOME and user switching.
    ( cd "$AMQ_DIR" && exec setsid "$java" \
        -Xms64m -Xmx"$AMQ_HEAP" \
        -Dorg.apache.activemq.UseDedicatedTaskRunner=true \
        -Djava.io.tmpdir="$AMQ_DIR/tmp" \
        -Djava.net.preferIPv4Stack=true \
        -Dlog4j.configuration="file:$AMQ_DIR/conf/log4j.properties" \
        --add-reads=java.xml=java.logging \
        --add-opens java.base/java.security=ALL-UNNAMED \
        --add-opens java.base/java.net=ALL-UNNAMED \
        --add-opens java.base/java.lang=ALL-UNNAMED \
        --add-opens java.base/java.util=ALL-UNNAMED \
        --add-opens java.naming/javax.naming.spi=ALL-UNNAMED \
        --add-opens java.rmi/sun.rmi.transport.tcp=ALL-UNNAMED \
        --add-opens java.base/java.util.concurrent=ALL-UNNAMED \
        --add-opens java.base/java.util.concurrent.atomic=ALL-UNNAMED \
        --add-exports=java.base/sun.net.www.protocol.http=ALL-UNNAMED \
        --add-exports=java.base/sun.net.www.protocol.https=ALL-UNNAMED \
        --add-exports=java.base/sun.net.www.protocol.jar=ALL-UNNAMED \
        -Dactivemq.classpath="$AMQ_DIR/conf:$AMQ_HOME/lib/" \
        -Dactivemq.home="$AMQ_HOME" \
        -Dactivemq.base="$AMQ_DIR" \
        -Dactivemq.conf="$AMQ_DIR/conf" \
        -Dactivemq.data="$AMQ_DIR/data" \
        -jar "$AMQ_HOME/bin/activemq.jar" start "xbean:file:$AMQ_DIR/conf/activemq.xml" \
        </dev/null >>"$AMQ_DIR/console.log" 2>&1 ) &
    disown $!   # not this shell's job: no "Killed" notices, no waiting
    pid=$!
    save_pid "$AMQ_DIR/java.pid" "$pid"

    local deadline=$(( $(date +%s) + START_TIMEOUT ))
    until stomp_connected "$AMQ_STOMP_PORT" localhost; do
        if ! pid_alive "$pid"; then
            rm -f "$AMQ_DIR/java.pid"
            amq_logs
            die "activemq exited during startup"
        fi
        if [ "$(date +%s)" -ge "$deadline" ]; then
            amq_logs
            kill -KILL "$pid" 2>/dev/null || true
            rm -f "$AMQ_DIR/java.pid"
            die "activemq STOMP on 127.0.0.1:$AMQ_STOMP_PORT did not answer CONNECTED within ${START_TIMEOUT}s (killed pid $pid)"
        fi
        sleep 0.3
    done
    log "activemq ready in $(elapsed "$t0")s (java pid $pid): stomp 127.0.0.1:$AMQ_STOMP_PORT, openwire 127.0.0.1:$AMQ_OPENWIRE_PORT"
}

amq_stop() {
    local pid t0
    t0="$(now)"
    if pid="$(amq_pid)"; then
        log "stopping activemq (pid $pid)"
        kill -TERM "$pid" 2>/dev/null || true   # the JVM shutdown hook stops the broker cleanly
        if ! wait_exit "$pid" "$STOP_TIMEOUT"; then
            amq_logs
            log "activemq did not exit within ${STOP_TIMEOUT}s; sending SIGKILL to pid $pid"
            kill -KILL "$pid" 2>/dev/null || true
            wait_exit "$pid" 5 || die "activemq pid $pid survives SIGKILL"
        fi
        log "activemq stopped in $(elapsed "$t0")s"
    else
        log "activemq is not running"
    fi
    rm -f "$AMQ_DIR/java.pid"
}

amq_kill() {
    local pid
    pid="$(amq_pid)" || die "activemq is not running"
    kill -KILL "$pid"
    wait_exit "$pid" 10 || die "activemq pid $pid survives SIGKILL"
    rm -f "$AMQ_DIR/java.pid"
    log "activemq killed (SIGKILL to pid $pid)"
}

# ----------------------------------------------------------------------------- commands

do_status() {
    local pid rc=0
    if pid="$(rmq_pid)"; then
        echo "rabbitmq: running (beam pid $pid) stomp://127.0.0.1:$RMQ_STOMP_PORT ws://127.0.0.1:$RMQ_WS_PORT/ws amqp 127.0.0.1:$RMQ_AMQP_PORT"
    else
        echo "rabbitmq: stopped"; rc=3
    fi
    if pid="$(read_live_pid "$RMQ_DIR/epmd.pid")"; then echo "epmd:     running (pid $pid, started by this script)"; fi
    if pid="$(amq_pid)"; then
        echo "activemq: running (java pid $pid) stomp://127.0.0.1:$AMQ_STOMP_PORT openwire 127.0.0.1:$AMQ_OPENWIRE_PORT"
    else
        echo "activemq: stopped"; rc=3
    fi
    echo "state:    $STATE_DIR"
    return "$rc"
}

targets() {
    case "${1:-all}" in
        all) echo "rabbitmq activemq" ;;
        rabbitmq|rabbit|rmq) echo rabbitmq ;;
        activemq|amq) echo activemq ;;
        *) die "unknown broker '$1' (rabbitmq|activemq|all)" ;;
    esac
}

one_target() {
    [ $# -ge 1 ] || die "which broker? (rabbitmq|activemq)"
    local t; t="$(targets "$1")"
    [ "$t" = rabbitmq ] || [ "$t" = activemq ] || die "'$1': name one broker (rabbitmq|activemq)"
    echo "$t"
}

usage() {
    sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'
    exit 2
}

cmd="${1:-}"; shift || true
case "$cmd" in
    install) do_install ;;
    start)
        list="$(targets "${1:-all}")"
        mkdir -p "$STATE_DIR"
        for b in $list; do
            if [ "$b" = rabbitmq ]; then rmq_start; else amq_start; fi
            write_env_file
        done
        write_env_file
        log "wrote $STATE_DIR/env"
        ;;
    stop)
        list="$(targets "${1:-all}")"
        for b in $list; do
            if [ "$b" = rabbitmq ]; then rmq_stop; else amq_stop; fi
        done
        if [ -d "$STATE_DIR" ]; then write_env_file; fi
        ;;
    kill)
        b="$(one_target "$@")"
        if [ "$b" = rabbitmq ]; then rmq_kill; else amq_kill; fi
        write_env_file
        ;;
    restart)
        b="$(one_target "$@")"
        t0="$(now)"
        if [ "$b" = rabbitmq ]; then
            rmq_pid >/dev/null && rmq_stop
            rmq_start
        else
            amq_pid >/dev/null && amq_stop
            amq_start
        fi
        write_env_file
        log "$b restarted in $(elapsed "$t0")s"
        ;;
    status) do_status ;;
    -h|--help|help|"") usage ;;
    *) die "unknown command '$cmd' (install|start|stop|kill|restart|status)" ;;
esac
