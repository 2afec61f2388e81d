#!/usr/bin/env bash
# Durable accept rate of several builds or settings of SendGate, measured alternately in one run
# so that the machine's drift hits every variant alike; prints each run and the ratio of each
# variant's median to the first one's: the accept rate, and the CPU time SendGate's process spent
# per accepted message (steadier than the rate while the load generator shares the CPUs).
#
#   bench/accept-ab.sh LABEL=REV[@VAR=VALUE,...] ...
#   e.g. bench/accept-ab.sh before=HEAD~3 now=HEAD folder-only=HEAD@SendGate__Archive__InlineUpTo=0
#
# Each REV is published in Release from a temporary git worktree. Each run starts a fresh host
# (SQLite and blob folder in a temporary directory outside its working directory, no worker),
# warms it with WARMUP requests, then measures N JSON submissions of ~5 KB with hey -c C.
# Needs hey and curl. Knobs: ROUNDS (3), N (12800), WARMUP (6400), C (64), PORT (18181).
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${ROUNDS:-3} N=${N:-12800} WARMUP=${WARMUP:-6400} C=${C:-64} PORT=${PORT:-18181}
KEY="sg_bench_$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')"
WORK=$(mktemp -d)
SG_PID=""
cleanup() {
    [ -n "$SG_PID" ] && kill "$SG_PID" 2>/dev/null && wait "$SG_PID" 2>/dev/null
    for tree in "$WORK"/tree-*; do [ -d "$tree" ] && git worktree remove --force "$tree"; done
    rm -rf "$WORK"
}
trap cleanup EXIT

line="The quick brown fox jumps over the lazy dog. 0123456789 abcdefghijklmnopqrst"
text=""; for _ in $(seq 1 64); do text="$text$line\\n"; done
printf '{"from":"bench@example.co.jp","to":["rcpt@example.net"],"subject":"bench","text":"%s"}' "$text" > "$WORK/body.json"

labels=()
declare -A dll env_of
for spec in "$@"; do
    label=${spec%%=*}; rest=${spec#*=}; rev=${rest%%@*}; vars=""
    [[ "$rest" == *@* ]] && vars=${rest#*@}
    tree="$WORK/tree-$label"
    git worktree add -q --detach "$tree" "$rev"
    dotnet publish "$tree/api/SendGate.Api" -c Release -o "$WORK/out-$label" -v quiet >/dev/null
    labels+=("$label"); dll[$label]="$WORK/out-$label/SendGate.Api.dll"; env_of[$label]=${vars//,/ }
done

cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }

run() {  # label -> prints "req/s cpu-µs-per-message"
    local dir="$WORK/run"; rm -rf "$dir"; mkdir -p "$dir/cwd" "$dir/data"
    # shellcheck disable=SC2086
    (cd "$dir/cwd" && exec env SendGate__Bootstrap__ApiKey="$KEY" SendGate__Database__ConnectionString="Data Source=$dir/data/sendgate.db" \
        SendGate__Archive__BlobFolder="$dir/data/blobs" SendGate__Worker__InProcess=false SendGate__Policy__InitialPolicy=empty \
        SendGate__RateLimits__SubmitPerKey__PermitLimit=0 SendGate__RateLimits__SubmitPerTenant__PermitLimit=0 \
        Logging__LogLevel__Default=Warning ${env_of[$1]} dotnet "${dll[$1]}" --urls "http://127.0.0.1:$PORT") > "$dir/log" 2>&1 &
    SG_PID=$!
    for _ in $(seq 1 300); do [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/health/ready" || true)" = 200 ] && break; sleep 0.1; done
    local hey=(hey -c "$C" -m POST -T application/json -H "Authorization: Bearer $KEY" -D "$WORK/body.json" "http://127.0.0.1:$PORT/v1/messages")
    "${hey[@]:0:1}" -n "$WARMUP" "${hey[@]:1}" > /dev/null 2>&1
    local before; before=$(cpu_ticks "$SG_PID")
    "${hey[@]:0:1}" -n "$N" "${hey[@]:1}" > "$dir/hey.txt" 2>&1
    local after; after=$(cpu_ticks "$SG_PID")
    kill "$SG_PID"; wait "$SG_PID" 2>/dev/null || true; SG_PID=""
    [ "$(awk '$1 == "[202]" && $3 == "responses" { print $2 }' "$dir/hey.txt")" = "$N" ] || { echo "not every request was accepted:" >&2; tail -20 "$dir/hey.txt" "$dir/log" >&2; exit 1; }
    local rate; rate=$(awk '/Requests\/sec/ { print $2 }' "$dir/hey.txt")
    # hey sends N rounded down to a multiple of C.
    awk -v r="$rate" -v t=$((after - before)) -v hz="$(getconf CLK_TCK)" -v n=$((N / C * C)) 'BEGIN { printf "%s %.0f\n", r, t / hz * 1e6 / n }'
}

declare -A results cpus
for round in $(seq 1 "$ROUNDS"); do
    for label in "${labels[@]}"; do
        read -r rate cpu < <(run "$label"); results[$label]+="$rate "; cpus[$label]+="$cpu "
        printf 'round %d  %-16s %10.1f msg/s %8d µs CPU/msg\n' "$round" "$label" "$rate" "$cpu"
    done
done

median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
base=$(echo "${results[${labels[0]}]}" | median); cpu_base=$(echo "${cpus[${labels[0]}]}" | median)
echo "variant            median msg/s   vs ${labels[0]}   µs CPU/msg   vs ${labels[0]}"
for label in "${labels[@]}"; do
    m=$(echo "${results[$label]}" | median); c=$(echo "${cpus[$label]}" | median)
    printf '%-18s %12.1f   %6.2fx   %10.0f   %6.2fx\n' "$label" "$m" "$(awk -v m="$m" -v b="$base" 'BEGIN { print m / b }')" \
        "$c" "$(awk -v c="$c" -v b="$cpu_base" 'BEGIN { print c / b }')"
done
