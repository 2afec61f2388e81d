#!/usr/bin/env bash
# Does a big archive slow acceptance? (see bench/README.md, "Accepting beside a big archive").
#
# Builds a SQLite database of MESSAGES stored messages with the search benchmark's fixture
# (`SendGate.Bench search`: three tenants, recipients, attachments, rules, tags, and every search
# index filled by the migration's triggers), then measures the durable accept rate of ~5 KB JSON
# submissions into the fixture's largest tenant on a copy of that database against a fresh empty
# one, alternating round after round so that the machine's drift hits both alike. Prints each run,
# the medians and the ratio big / empty (target: >= 0.9), and SendGate's CPU per accepted message.
#
# Needs root only to install hey. Everything listens on 127.0.0.1. Raw numbers go to bench/results/<timestamp>/.
set -euo pipefail

MESSAGES=${MESSAGES:-1000000}
ROUNDS=${ROUNDS:-3}
N_ACCEPT=${N_ACCEPT:-12800}
WARMUP=${WARMUP:-6400}
CONCURRENCY=${CONCURRENCY:-64}
TENANT=${TENANT:-ten_bench_large}

# shellcheck source=bench/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
command -v dotnet >/dev/null || die "the .NET SDK (dotnet) is required"
command -v hey >/dev/null || install_missing hey
require_free_ports "$SG_PORT"
BENCH_DLL=$REPO/bench/SendGate.Bench/bin/Release/net10.0/SendGate.Bench.dll

start_results "settings: MESSAGES=$MESSAGES ROUNDS=$ROUNDS N_ACCEPT=$N_ACCEPT WARMUP=$WARMUP CONCURRENCY=$CONCURRENCY"
printf 'round\tvariant\tmessages\tseconds\trate_msg_s\tsg_cpu_us_per_msg\tstatus\n' > "$RUNS"
build_sendgate
if [ "$SKIP_BUILD" != 1 ] || [ ! -f "$BENCH_DLL" ]; then
    dotnet build -c Release "$REPO/bench/SendGate.Bench" -nologo -v q >> "$OUT/build.log" 2>&1 || { tail -20 "$OUT/build.log" >&2; die "bench build failed"; }
fi
make_work

FIXTURE=${FIXTURE:-}   # a folder holding a fixture's sendgate.db from an earlier run (KEEP_WORK=1 keeps it), to skip the load
if [ -n "$FIXTURE" ]; then
    [ -f "$FIXTURE/sendgate.db" ] || die "FIXTURE=$FIXTURE holds no sendgate.db"
    log "using the fixture database in $FIXTURE"
else
    FIXTURE=$WORK/fixture
    log "loading $MESSAGES messages into the fixture database (the search benchmark, whose figures go to search.txt)"
    dotnet "$BENCH_DLL" search "$MESSAGES" "$FIXTURE" > "$OUT/search.txt" 2>&1 || log "the search benchmark reported a missed target (see search.txt); the database is what matters here"
    head -n 1 "$OUT/search.txt" >&2
fi

BODY=$WORK/body.json
awk -v size="$MSG_BYTES" -v from="$FROM" -v rcpt="$RCPT" 'BEGIN {
    line = "The quick brown fox jumps over the lazy dog. 0123456789 abcdefghijklmnopqrst";
    text = ""; bytes = 0;
    while (bytes + length(line) + 1 <= size) { text = text line "\\n"; bytes += length(line) + 1 }
    printf "{\"from\":\"%s\",\"to\":[\"%s\"],\"subject\":\"bench\",\"text\":\"%s\"}", from, rcpt, text }' > "$BODY"

run_hey() {  # n key outfile -> 0 if every response was 202
    hey -n "$1" -c "$CONCURRENCY" -m POST -T application/json -H "Authorization: Bearer $2" -D "$BODY" \
        "$SG_URL/v1/messages" > "$3" 2>&1 || true
    [ "$(awk '$1 == "[202]" && $3 == "responses" { print $2 }' "$3")" = "$1" ]
}

n=$(round_down "$N_ACCEPT" "$CONCURRENCY"); w=$(round_down "$WARMUP" "$CONCURRENCY")
AUDIT_KEY=$(head -c 32 /dev/urandom | base64)   # the command line records the key it made in the audit trail
for ((round = 1; round <= ROUNDS; round++)); do
    for variant in empty big; do
        label=$variant-$round
        dir=$WORK/sg-$label
        mkdir -p "$dir/cwd" "$dir/data"
        key=$API_KEY
        if [ "$variant" = big ]; then
            cp "$FIXTURE"/sendgate.db* "$dir/data/"
            # The fixture has tenants, so no bootstrap key: one made the way an operator would.
            key=$(cd "$dir/cwd" && SendGate__Database__ConnectionString="Data Source=$dir/data/sendgate.db" SendGate__Audit__Key="$AUDIT_KEY" \
                dotnet "$SG_DLL" keys create --tenant "$TENANT" --name bench --role sender 2> "$OUT/keys-$label.err" | grep -o 'sg_[A-Za-z0-9_-]*' | head -n 1) \
                || die "keys create failed: $(cat "$OUT/keys-$label.err")"
            [ -n "$key" ] || die "keys create printed no key: $(cat "$OUT/keys-$label.err")"
        fi
        # The copy's 1.5 GB of dirty pages would otherwise be written back during the measured run,
        # beside the accept path's fsyncs: the big database would pay for the copy.
        sync
        start_sendgate "$label" false SendGate__Audit__Key="$AUDIT_KEY"
        run_hey "$w" "$key" "$WORK/warm.txt" || log "$label: warm-up had non-202 responses"
        p0=$(proc_cpu_ticks "$SG_PID"); t0=$(now_ns)
        status=ok; run_hey "$n" "$key" "$OUT/hey-$label.txt" || status="non-202 responses"
        t1=$(now_ns); p1=$(proc_cpu_ticks "$SG_PID")
        r=$(rate "$n" $((t1 - t0)))
        cpu=$(awk -v d=$((p1 - p0)) -v hz="$CLK_TCK" -v n="$n" 'BEGIN { printf "%.0f", 1e6 * d / hz / n }')
        record "$round" "$variant" "$n" "$(secs $((t1 - t0)))" "$r" "$cpu" "$status"
        log "round $round $variant: $r msg/s, $cpu µs CPU per message ($status)"
        stop_sendgate "$label"
    done
done

median() {  # variant column
    awk -F'\t' -v v="$1" -v c="$2" 'NR > 1 && $2 == v && $7 == "ok" { print $c }' "$RUNS" | sort -n |
        awk '{ a[NR] = $1 } END { if (NR == 0) print 0; else if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2 }'
}
{
    echo
    printf '%-8s %14s %14s\n' variant "median msg/s" "µs CPU/msg"
    for v in empty big; do printf '%-8s %14.1f %14.0f\n' "$v" "$(median "$v" 5)" "$(median "$v" 6)"; done
    ratio=$(ratio "$(median big 5)" "$(median empty 5)")
    echo "big / empty accept rate: ${ratio}x — target >= 0.9: $(awk -v r="$ratio" 'BEGIN { print (r >= 0.9 ? "met" : "missed") }')"
    echo "big / empty CPU per message: $(ratio "$(median big 6)" "$(median empty 6)")x"
} | tee "$OUT/summary.txt"
