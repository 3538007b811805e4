#!/usr/bin/env bash
# Compares two builds of one variant over HTTP: `bash bench/ab.sh OLD_REV [NEW_REV]` builds
# `bench-server` at both git revisions (NEW_REV defaults to the working tree), starts both
# servers at once pinned to the same CPU, and measures them in alternating slices with the
# same load, so that the host's drift (20% over minutes on the VMs these figures come from)
# falls on both alike. It answers "did this change make the layer faster", which the
# comparison against the bare server cannot settle for changes of a few percent.
# Settings: BENCH_ONLY (one variant, ours-axum-memory), BENCH_AB_SCENARIOS (read,rw,new),
# BENCH_AB_PAIRS (6), BENCH_SLICE (4 s, after 1 s of warm-up), BENCH_SESSIONS (256 cookies
# rotated), BENCH_CONNECTIONS (32), BENCH_SERVER_CPU (0), BENCH_LOAD_CPU (1).
set -euo pipefail
cd "$(dirname "$0")/.."
old_rev="${1:?usage: bash bench/ab.sh OLD_REV [NEW_REV]}"
new_rev="${2:-}"
variant="${BENCH_ONLY:-ours-axum-memory}"
scenarios="${BENCH_AB_SCENARIOS:-read,rw,new}"
pairs="${BENCH_AB_PAIRS:-6}"
slice="${BENCH_SLICE:-4}"
sessions="${BENCH_SESSIONS:-256}"
connections="${BENCH_CONNECTIONS:-32}"
server_cpu="${BENCH_SERVER_CPU:-0}"
load_cpu="${BENCH_LOAD_CPU:-1}"

for tool in wrk curl taskset; do
    command -v "$tool" >/dev/null || { echo "ab.sh: $tool is missing" >&2; exit 1; }
done

target="${CARGO_TARGET_DIR:-$PWD/target}"
work="$(mktemp -d)"
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    git worktree remove --force "$work/tree" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

# Builds REV's bench-server (the working tree when REV is empty) and copies it to $work/NAME.
build() {
    local rev="$1" name="$2"
    if [ -z "$rev" ]; then
        cargo build -q --release -p session-bench --bin bench-server
    else
        git worktree add -q --detach "$work/tree" "$rev"
        (cd "$work/tree" && CARGO_TARGET_DIR="$target" \
            cargo build -q --release -p session-bench --bin bench-server)
        git worktree remove --force "$work/tree"
    fi
    cp "$target/release/bench-server" "$work/$name"
}
build "$old_rev" old
build "$new_rev" new

# Starts both servers, and writes a wrk script rotating each one's own session cookies.
start() {
    local name="$1" port="$2"
    taskset -c "$server_cpu" "$work/$name" --variant "$variant" --port "$port" >/dev/null 2>&1 &
    pids+=("$!")
    for _ in $(seq 1 50); do
        curl -s -o /dev/null "http://127.0.0.1:$port/untouched" && break
        sleep 0.1
    done
    {
        echo "local cookies = {"
        for _ in $(seq 1 "$sessions"); do
            curl -si "http://127.0.0.1:$port/new" |
                sed -nE 's/^[Ss]et-[Cc]ookie: ([^;]*).*/  "\1",/p'
        done
        echo "}"
        echo "local i = 0"
        echo "request = function()"
        echo "  i = i % #cookies + 1"
        echo "  return wrk.format(\"GET\", nil, { [\"Cookie\"] = cookies[i] })"
        echo "end"
    } >"$work/$name.lua"
}
# Ports the comparison's own servers do not use.
start old 4901
start new 4902
declare -A port=([old]=4901 [new]=4902) pid=([old]="${pids[0]}" [new]="${pids[1]}")

# CPU time (user + system, in clock ticks) the server has used so far.
ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }

echo "A/B: $variant, old = $old_rev, new = ${new_rev:-working tree}; $pairs pairs of ${slice} s"
echo
echo "| scenario | old req/s (median) | new req/s (median) | old CPU µs/req | new CPU µs/req | new / old, per pair (sorted) | median |"
echo "|---|---:|---:|---:|---:|---|---:|"
hz="$(getconf CLK_TCK)"
for scenario in ${scenarios//,/ }; do
    : >"$work/results"
    for k in $(seq 1 "$pairs"); do
        # Each build goes first in every other pair.
        order="old new"
        [ $((k % 2)) = 1 ] && order="new old"
        for name in $order; do
            url="http://127.0.0.1:${port[$name]}/$scenario"
            taskset -c "$load_cpu" wrk -t1 -c"$connections" -d1s -s "$work/$name.lua" "$url" >/dev/null
            before="$(ticks "${pid[$name]}")"
            rate="$(taskset -c "$load_cpu" wrk -t1 -c"$connections" -d"${slice}s" \
                -s "$work/$name.lua" "$url" | awk '/Requests\/sec/ { print $2 }')"
            after="$(ticks "${pid[$name]}")"
            echo "$k $name $rate $before $after" >>"$work/results"
        done
    done
    awk -v scenario="$scenario" -v slice="$slice" -v hz="$hz" '
        function median(a, n,   i, j, t) {
            for (i = 2; i <= n; i++) for (j = i; j > 1 && a[j-1] > a[j]; j--) { t = a[j]; a[j] = a[j-1]; a[j-1] = t }
            return n % 2 ? a[(n+1)/2] : (a[n/2] + a[n/2+1]) / 2
        }
        {
            rate[$2, $1] = $3
            n[$2]++; r[$2, n[$2]] = $3
            c[$2, n[$2]] = ($5 - $4) / hz * 1e6 / ($3 * slice)
        }
        END {
            for (w = 1; w <= 2; w++) {
                name = w == 1 ? "old" : "new"
                for (i = 1; i <= n[name]; i++) { x[i] = r[name, i]; y[i] = c[name, i] }
                rmed[name] = median(x, n[name]); cmed[name] = median(y, n[name])
            }
            m = 0
            for (k = 1; k <= n["old"]; k++) q[++m] = rate["new", k] / rate["old", k]
            median(q, m)
            list = ""
            for (i = 1; i <= m; i++) list = list sprintf("%.2f ", q[i])
            printf "| %s | %.0f | %.0f | %.2f | %.2f | %s| %.3f |\n", scenario, rmed["old"], rmed["new"], cmed["old"], cmed["new"], list, median(q, m)
        }' "$work/results"
done
