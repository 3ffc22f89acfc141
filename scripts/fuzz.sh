#!/usr/bin/env bash
# Builds the libFuzzer targets in Fuzz/ and runs each for a while, seeded with the
# committed corpus (copied to a temporary working corpus, so nothing is written into the
# repository unless --merge is given).
#
#   scripts/fuzz.sh --seconds 15                 # every target, 15 s each
#   scripts/fuzz.sh --runs 10000000 FuzzToken    # one target, 10 million executions
#   scripts/fuzz.sh --seconds 600 --merge        # merge new inputs into Fuzz/Corpus
#   scripts/fuzz.sh --debug --seconds 10         # debug build: builds in about half the
#                                                # time, runs slower (the test command's smoke run)
#   scripts/fuzz.sh --jobs 2 --runs 10000000 FuzzBrowserSTOMP
#                                                # one campaign on two cores (libFuzzer -fork=2:
#                                                # workers share one corpus; executions are summed)
#
# Prints per target: executions, exec/s, coverage (cov:), corpus size, crashes. Exits
# non-zero on any crash (or failed check), saving the input under .build-fuzz-artifacts/.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
FUZZ="$ROOT/Fuzz"
configuration=release
ARTIFACTS="${FUZZ_ARTIFACTS:-$ROOT/.build-fuzz-artifacts}"
ALL_TARGETS=(FuzzSTOMPParser FuzzSTOMPRoundTrip FuzzBrowserSTOMP FuzzSSEResume FuzzToken FuzzDestinationPattern)

seconds=""
runs=""
merge=0
jobs=1
sanitizers="fuzzer,address"
targets=()
while (($#)); do
    case "$1" in
        --seconds) seconds="$2"; shift 2 ;;
        --runs) runs="$2"; shift 2 ;;
        --merge) merge=1; shift ;;
        --no-asan) sanitizers="fuzzer"; shift ;;
        --debug) configuration=debug; shift ;;
        --build-only) seconds=0; runs=""; shift ;;
        --jobs) jobs="$2"; shift 2 ;;
        -h|--help) sed -n '2,17p' "$0"; exit 0 ;;
        Fuzz*) targets+=("$1"); shift ;;
        *) echo "unknown argument: $1" >&2; exit 2 ;;
    esac
done
[[ -z "$seconds" && -z "$runs" ]] && seconds=15
if [[ "$configuration" == release ]]; then default_scratch="$FUZZ/.build-fuzz"; else default_scratch="$FUZZ/.build-fuzz-debug"; fi
SCRATCH="${FUZZ_SCRATCH:-$default_scratch}"
((${#targets[@]})) || targets=("${ALL_TARGETS[@]}")

dictionary() {
    case "$1" in
        FuzzSTOMPParser|FuzzSTOMPRoundTrip|FuzzBrowserSTOMP) echo "$FUZZ/Dictionaries/stomp.dict" ;;
        FuzzSSEResume) echo "$FUZZ/Dictionaries/sse.dict" ;;
        FuzzToken) echo "$FUZZ/Dictionaries/token.dict" ;;
        FuzzDestinationPattern) echo "$FUZZ/Dictionaries/pattern.dict" ;;
    esac
}

echo "== building the fuzz targets ($configuration, -sanitize=$sanitizers)"
build_start=$(date +%s)
# Only Swift code is instrumented (-Xswiftc); C dependencies (BoringSSL) are not.
(cd "$FUZZ" && swift build -c "$configuration" --scratch-path "$SCRATCH" -Xswiftc "-sanitize=$sanitizers" 2>&1 | grep -Ev '^\[[0-9]+/[0-9]+\]|ld.gold: warning' || true)
bin="$SCRATCH/$configuration"
for target in "${targets[@]}"; do
    [[ -x "$bin/$target" ]] || { echo "build failed: $bin/$target missing" >&2; exit 1; }
done
echo "== built in $(($(date +%s) - build_start)) s"
[[ "$seconds" == 0 && -z "$runs" ]] && exit 0

mkdir -p "$ARTIFACTS"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
export SWIFT_BACKTRACE=enable=no
# Swift keeps weak-reference side tables behind tagged pointers, which LeakSanitizer
# cannot follow: every weak capture would be reported as a leak.
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=0}"
failed=0
printf '%-24s %12s %8s %7s %9s %8s %s\n' target executions exec/s cov corpus seconds result
for target in "${targets[@]}"; do
    corpus="$work/$target"
    mkdir -p "$corpus"
    if [[ -d "$FUZZ/Corpus/$target" ]]; then cp "$FUZZ/Corpus/$target"/* "$corpus"/ 2>/dev/null || true; fi
    if [[ -d "$FUZZ/Regressions/$target" ]]; then cp "$FUZZ/Regressions/$target"/* "$corpus"/ 2>/dev/null || true; fi
    args=(-print_final_stats=1 -detect_leaks=0 -max_len=4096 -rss_limit_mb=3072 -timeout=25
        "-artifact_prefix=$ARTIFACTS/$target-" "-dict=$(dictionary "$target")")
    if [[ -n "$runs" ]]; then args+=("-runs=$runs"); else args+=("-max_total_time=$seconds"); fi
    ((jobs > 1)) && args+=("-fork=$jobs")
    log="$work/$target.log"
    start=$(date +%s)
    set +e
    "$bin/$target" "${args[@]}" "$corpus" >"$log" 2>&1
    status=$?
    set -e
    elapsed=$(($(date +%s) - start))
    if ((jobs > 1)); then
        # Fork mode: the parent's status lines ("#N: cov: … exec/s: …") count every worker.
        executions=$(grep -aEo '^#[0-9]+: cov:' "$log" | tail -1 | grep -Eo '[0-9]+' || true)
        # (its exec/s is the last job's; the campaign's average is executions / time)
        persecond=""
        [[ -n "$executions" ]] && persecond=$((executions / (elapsed > 0 ? elapsed : 1)))
    else
        executions=$(grep -aEo 'stat::number_of_executed_units: *[0-9]+' "$log" | grep -Eo '[0-9]+$' | tail -1 || true)
        persecond=$(grep -aEo 'stat::average_exec_per_sec: *[0-9]+' "$log" | grep -Eo '[0-9]+$' | tail -1 || true)
    fi
    coverage=$(grep -aEo 'cov: [0-9]+' "$log" | tail -1 | grep -Eo '[0-9]+' || true)
    size=$(grep -aEo 'corp: [0-9]+(/[0-9]+[a-zA-Z]*)?' "$log" | tail -1 | sed 's/corp: //' || true)
    result=ok
    if ((status != 0)); then
        result="CRASH (exit $status)"
        failed=1
    fi
    printf '%-24s %12s %8s %7s %9s %8s %s\n' "$target" "${executions:-?}" "${persecond:-?}" "${coverage:-?}" "${size:-?}" "$elapsed" "$result"
    if ((status != 0)); then
        { grep -aE 'FUZZ CHECK FAILED|ERROR: AddressSanitizer|ERROR: libFuzzer|Fatal error|Test unit written|SUMMARY' "$log" || true; } |
            head -20 | cut -c1-400 | sed 's/^/    /' || true
        cp "$log" "$ARTIFACTS/$target.log"
        echo "    full log: $ARTIFACTS/$target.log"
    fi
    if ((merge)); then
        mkdir -p "$FUZZ/Corpus/$target"
        "$bin/$target" -merge=1 "-dict=$(dictionary "$target")" "$FUZZ/Corpus/$target" "$corpus" >"$work/$target.merge.log" 2>&1 || true
        echo "    merged: $(ls "$FUZZ/Corpus/$target" | wc -l) inputs in Fuzz/Corpus/$target"
    fi
done
if ((failed)); then echo "fuzz: a target crashed (inputs in $ARTIFACTS)"; else echo "fuzz: no crash"; fi
exit $failed
