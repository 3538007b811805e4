#!/usr/bin/env bash
# The benchmark command (see bench/README.md): builds the servers in release mode, then runs
# the HTTP comparison (server pinned to CPU 0, wrk and Redis to CPU 1, every variant three
# rounds interleaved), the paired run (each variant against its bare server in alternating
# slices, with the controls) and the memory-store benchmark. The tables go to stdout and to
# target/bench-last-run.md; the charts of the ratios to bare to target/bench-chart.svg
# (interleaved) and target/bench-chart-paired.svg (paired), or to BENCH_OUT_DIR.
# Settings: BENCH_SECS (10), BENCH_WARMUP (2), BENCH_ROUNDS (3), BENCH_SESSIONS (256),
# BENCH_CONNECTIONS (32), BENCH_ONLY (variant names, comma-separated), BENCH_SERVER_CPU (0),
# BENCH_LOAD_CPU (1), BENCH_NICE (unset; -20 as root shields the run from other work on the
# machine), BENCH_PAIRS (8) and BENCH_SLICE (2) for the paired run, BENCH_OUT_DIR (target).
# `bash bench/run.sh http`, `paired` or `memory` runs one part.
set -euo pipefail
cd "$(dirname "$0")/.."
what="${1:-all}"

need() {
    if ! command -v "$1" >/dev/null; then
        if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
            apt-get install -y "$2" >/dev/null
        else
            echo "run.sh: $1 is missing (apt-get install $2)" >&2
            exit 1
        fi
    fi
}
need wrk wrk
need redis-server redis-server
need taskset util-linux

cargo build --release -p session-bench --bins
bin="${CARGO_TARGET_DIR:-target}/release"
export BENCH_OUT_DIR="${BENCH_OUT_DIR:-${CARGO_TARGET_DIR:-target}}"

{
    echo "Machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')"
    echo "Run: $(date -u '+%Y-%m-%d %H:%M UTC'), BENCH_SECS=${BENCH_SECS:-10}, rounds ${BENCH_ROUNDS:-3}"
    echo
    if [ "$what" = all ] || [ "$what" = http ]; then
        "$bin/bench-runner"
    fi
    if [ "$what" = all ] || [ "$what" = paired ]; then
        echo
        "$bin/bench-paired"
    fi
    if [ "$what" = all ] || [ "$what" = memory ]; then
        echo '```'
        "$bin/memory_footprint"
        echo '```'
    fi
} | tee "${CARGO_TARGET_DIR:-target}/bench-last-run.md"
