#!/usr/bin/env bash
# Durable-state benchmark (issue 4): CreateRepository and DescribeRepositories throughput of
# the release `berth`, in memory and with --data-dir (SQLite, WAL, synchronous=FULL, group
# commit), 16 clients on keep-alive connections (creates also with 1 client: no commit to
# share), plus GET /_berth/health as the HTTP floor.
# Every figure comes from the same run, so they compare. Prints a Markdown table.
#
#   bench/durable.sh [DURATION]        DURATION per measurement, wrk syntax (default 10s)
#
# Needs wrk (installed with apt-get when missing and run as root). The data directory is a fresh temporary one, on the same
# file system as $TMPDIR (default /tmp). Each create has a unique name and one tag;
# DescribeRepositories runs after the creates, so it pages over a full registry.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DURATION="${1:-10s}"
CLIENTS=16
THREADS=2
TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
BERTH="$TARGET_DIR/release/berth"

if ! command -v wrk >/dev/null; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        apt-get update -qq && apt-get install -y -qq wrk >/dev/null
    else
        echo "wrk is needed: apt-get install wrk" >&2
        exit 1
    fi
fi
(cd "$ROOT" && cargo build --release --locked -p berth)

WORK="$(mktemp -d "${TMPDIR:-/tmp}/berth-durable-bench.XXXXXX")"
PID=""
cleanup() {
    if [ -n "$PID" ]; then kill -TERM "$PID" 2>/dev/null || true; wait "$PID" 2>/dev/null || true; fi
    rm -rf "$WORK"
}
trap cleanup EXIT

# start_berth ARGS...: starts berth on a free port and sets PID and URL.
start_berth() {
    : >"$WORK/stdout"
    nice -n 10 "$BERTH" --port 0 --log warn "$@" >"$WORK/stdout" 2>"$WORK/stderr" &
    PID=$!
    for _ in $(seq 200); do
        URL="$(sed -n 's/^BERTH_ENDPOINT=//p' "$WORK/stdout")"
        [ -n "$URL" ] && return 0
        sleep 0.1
    done
    echo "berth did not start:" >&2
    cat "$WORK/stderr" >&2
    exit 1
}

stop_berth() {
    kill -TERM "$PID"
    wait "$PID"
    PID=""
}

# measure MODE OPERATION CLIENTS [SCRIPT]: one wrk run against URL; appends a table row.
ROWS=()
measure() {
    local mode="$1" operation="$2" clients="$3" script="${4:-}" out="$WORK/wrk.txt" path="/"
    local threads=$((clients < THREADS ? clients : THREADS))
    # A generous timeout: on a shared machine a slow answer is latency, not an error.
    local args=(-t"$threads" -c"$clients" -d"$DURATION" --latency --timeout 10s)
    if [ -n "$script" ]; then args+=(-s "$ROOT/bench/$script"); else path="/_berth/health"; fi
    RUN=$((${RUN:-0} + 1))
    # The run number keeps each run's repository names apart (see durable-create.lua).
    nice -n 10 wrk "${args[@]}" "$URL$path" -- "$RUN" >"$out"
    local rps p50 p99 failed
    rps="$(awk '/^Requests\/sec:/ { printf "%d", $2 }' "$out")"
    p50="$(awk '$1 == "50%" { print $2 }' "$out")"
    p99="$(awk '$1 == "99%" { print $2 }' "$out")"
    failed="$(awk '/^failed_requests/ { print $2 }' "$out")"
    if grep -q "Non-2xx" "$out" || [ "${failed:-0}" != 0 ] || grep -q "Socket errors" "$out"; then
        echo "$mode $operation: failed requests" >&2
        cat "$out" >&2
        exit 1
    fi
    ROWS+=("| $operation | $mode | $clients | $rps | $p50 | $p99 |")
    echo "$mode $operation, $clients clients: $rps requests/s (p50 $p50, p99 $p99)" >&2
}

for mode in memory data-dir; do
    if [ "$mode" = data-dir ]; then
        start_berth --data-dir "$WORK/data"
    else
        start_berth
    fi
    measure "$mode" "GET /_berth/health (HTTP floor)" "$CLIENTS"
    measure "$mode" CreateRepository "$CLIENTS" durable-create.lua
    # One client cannot share a commit with anyone: the cost of one commit per request.
    measure "$mode" CreateRepository 1 durable-create.lua
    measure "$mode" "DescribeRepositories (first page, 100)" "$CLIENTS" durable-describe.lua
    stop_berth
done

echo
echo "$(date -u +%Y-%m-%d), $(nproc) CPUs, up to $THREADS wrk threads, $DURATION per row"
echo
echo "| operation | state | clients | requests/s | p50 latency | p99 latency |"
echo "|---|---|---|---|---|---|"
printf '%s\n' "${ROWS[@]}"
