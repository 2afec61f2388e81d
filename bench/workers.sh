#!/usr/bin/env bash
# Scale-out of delivery on one SQLite file (see bench/README.md, "Several workers on one database").
#
# For each worker count in WORKERS (1 2): a fresh API host (worker off) accepts N ~5 KB messages;
# then that many dedicated worker processes (worker/SendGate.Worker) start against the same
# database and blob folder and deliver everything to one smtp-sink. It prints each run's delivery
# rate, the rate against one worker, and checks that no message was sent twice: the sink must
# count exactly N once the queue is empty, and the database must record N messages sent, each
# with exactly one successful attempt.
#
# Needs root (smtp-sink runs as postfix). Everything listens on 127.0.0.1. Raw numbers go to
# bench/results/<timestamp>/.
set -euo pipefail

N=${N:-6400}
WORKERS=${WORKERS:-"1 2"}
ACCEPT_CONCURRENCY=${ACCEPT_CONCURRENCY:-32}
DELIVERY_TIMEOUT=${DELIVERY_TIMEOUT:-600}

# shellcheck source=bench/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
WORKER_DLL=$REPO/worker/SendGate.Worker/bin/Release/net10.0/SendGate.Worker.dll
WORKER_PIDS=()

stop_workers() {
    local pid
    for pid in "${WORKER_PIDS[@]}"; do stop_pid "$pid"; done
    WORKER_PIDS=()
}
trap 'stop_workers; cleanup' EXIT

require_root_and_dotnet
install_missing hey postfix curl sqlite3
require_free_ports "$SG_PORT" "$SINK_PORT"

start_results "settings: N=$N WORKERS='$WORKERS' ACCEPT_CONCURRENCY=$ACCEPT_CONCURRENCY SG_PARALLELISM=$SG_PARALLELISM SG_BATCH=$SG_BATCH SG_POLL=$SG_POLL"
printf 'workers\tmessages\tseconds\trate_msg_s\tsink_count\tsent_in_db\tmessages_sent_twice\tstatus\n' > "$RUNS"
build_sendgate
if [ "$SKIP_BUILD" != 1 ] || [ ! -f "$WORKER_DLL" ]; then
    dotnet build -c Release "$REPO/worker/SendGate.Worker" -nologo -v q >> "$OUT/build.log" 2>&1 || { tail -20 "$OUT/build.log" >&2; die "worker build failed"; }
fi
make_work
start_sink

BODY=$WORK/body.json
awk -v size="$MSG_BYTES" -v from="$FROM" -v rcpt="$RCPT" 'BEGIN {
    line = "The quick brown fox jumps over the lazy dog. 0123456789 abcdefghijklmnopqrst";
    text = ""; bytes = 0;
    while (bytes + length(line) + 1 <= size) { text = text line "\\n"; bytes += length(line) + 1 }
    printf "{\"from\":\"%s\",\"to\":[\"%s\"],\"subject\":\"bench\",\"text\":\"%s\"}", from, rcpt, text }' > "$BODY"

start_worker() {  # label index
    local dir=$WORK/sg-$1
    # The API host's working directory: the worker shares its key files (data/*.key) and database.
    (cd "$dir/cwd" && exec env \
        SendGate__Database__ConnectionString="Data Source=$dir/data/sendgate.db" \
        SendGate__Archive__BlobFolder="$dir/data/blobs" \
        SendGate__Delivery__Mode=Smtp \
        SendGate__Smtp__Host=127.0.0.1 \
        SendGate__Smtp__Port="$SINK_PORT" \
        SendGate__Smtp__Security=None \
        SendGate__Smtp__Pipelining="$SG_PIPELINING" \
        SendGate__Delivery__Parallelism="$SG_PARALLELISM" \
        SendGate__Delivery__BatchSize="$SG_BATCH" \
        SendGate__Worker__PollInterval="$SG_POLL" \
        Logging__LogLevel__Default=Warning \
        dotnet "$WORKER_DLL") > "$dir/worker-$2.log" 2>&1 &
    WORKER_PIDS+=($!)
}

for w in $WORKERS; do
    label=w$w
    start_sendgate "$label" false
    db=$WORK/sg-$label/data/sendgate.db
    hey -n "$N" -c "$ACCEPT_CONCURRENCY" -m POST -T application/json -H "Authorization: Bearer $API_KEY" -D "$BODY" \
        "$SG_URL/v1/messages" > "$OUT/hey-$label.txt" 2>&1 || true
    accepted=$(awk '$1 == "[202]" && $3 == "responses" { print $2 }' "$OUT/hey-$label.txt")
    [ "${accepted:-0}" = "$N" ] || die "only ${accepted:-0} of $N submissions were accepted (see $OUT/hey-$label.txt)"
    base=$(sink_count)
    for ((i = 1; i <= w; i++)); do start_worker "$label" "$i"; done
    # Timed from the first message at the sink: the processes' start-up is not delivery.
    t0=$(wait_sink $((base + 1)) 120)
    [[ "$t0" == timeout* ]] && die "no worker delivered anything within 120 s (see $WORK/sg-$label/worker-*.log)"
    first=$(sink_count)
    t1=$(wait_sink $((base + N)) "$DELIVERY_TIMEOUT")
    status=ok
    if [[ "$t1" == timeout* ]]; then status="timeout: $(( ${t1#timeout:} - base )) of $N delivered"; t1=$(now_ns); fi
    # Let anything a second worker might still send arrive before counting.
    sleep 3
    stop_workers
    got=$(( $(sink_count) - base ))
    sent=$(sqlite3 -cmd '.timeout 10000' "$db" "SELECT count(*) FROM messages WHERE status = 'sent'")
    twice=$(sqlite3 -cmd '.timeout 10000' "$db" "SELECT count(*) FROM (SELECT message_id FROM message_events WHERE type = 'message.sent' GROUP BY message_id HAVING count(*) > 1)")
    [ "$got" = "$N" ] && [ "$sent" = "$N" ] && [ "$twice" = 0 ] || status="$status; sink $got, sent $sent, sent twice $twice (expected $N, $N, 0)"
    r=$(rate $((N - (first - base))) $((t1 - t0)))
    record "$w" "$N" "$(secs $((t1 - t0)))" "$r" "$got" "$sent" "$twice" "$status"
    log "$w worker(s): $r msg/s delivered; sink counted $got, database sent $sent, sent twice $twice ($status)"
    cp "$WORK/sg-$label"/worker-*.log "$OUT/" 2>/dev/null || true
    stop_sendgate "$label"
done

{
    echo
    printf '%-8s %10s %10s %10s  %s\n' workers "msg/s" "vs one" "twice" status
    awk -F'\t' 'NR == 2 { one = $4 } NR > 1 { printf "%-8s %10.1f %9.2fx %10s  %s\n", $1, $4, (one > 0 ? $4 / one : 0), $7, $8 }' "$RUNS"
} | tee "$OUT/summary.txt"
grep -q -v -P '\tok$' <(tail -n +2 "$RUNS") && exit 1 || exit 0
