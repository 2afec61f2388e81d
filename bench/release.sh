#!/usr/bin/env bash
# Punctual release at scale (see bench/README.md, "Releasing many held messages at once").
#
# A SendGate host with its in-process worker accepts OTHER messages held until tomorrow and then
# DUE messages held until the same second T (sendAt), all ~5 KB JSON. From T on, the worker
# releases and delivers the DUE ones to smtp-sink. Lateness of each = its first delivery attempt
# (message.delivery_started) - its release time; also the release itself (message.released) -
# release time. Prints p50 / p99 / max of both and the time until the sink had them all.
# Target (issue "Performance", point 3): every first attempt within 1 s p99 of its release time.
#
# Needs root (smtp-sink). Everything listens on 127.0.0.1. Raw numbers go to bench/results/<timestamp>/.
set -euo pipefail

DUE=${DUE:-10000}
OTHER=${OTHER:-100000}
ACCEPT_CONCURRENCY=${ACCEPT_CONCURRENCY:-32}
MARGIN=${MARGIN:-20}        # seconds between the end of the submissions and T

# shellcheck source=bench/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# hey sends n/c requests per connection: both counts are rounded down to a multiple of c.
DUE=$(round_down "$DUE" "$ACCEPT_CONCURRENCY"); OTHER=$(round_down "$OTHER" "$ACCEPT_CONCURRENCY")
require_root_and_dotnet
install_missing hey postfix curl sqlite3
require_free_ports "$SG_PORT" "$SINK_PORT"

start_results "settings: DUE=$DUE OTHER=$OTHER ACCEPT_CONCURRENCY=$ACCEPT_CONCURRENCY SG_PARALLELISM=$SG_PARALLELISM SG_BATCH=$SG_BATCH SG_POLL=$SG_POLL"
build_sendgate
make_work
start_sink

body() {  # sendAt -> a ~5 KB message held until then
    awk -v size="$MSG_BYTES" -v from="$FROM" -v rcpt="$RCPT" -v at="$1" 'BEGIN {
        line = "The quick brown fox jumps over the lazy dog. 0123456789 abcdefghijklmnopqrst";
        text = ""; bytes = 0;
        while (bytes + length(line) + 1 <= size) { text = text line "\\n"; bytes += length(line) + 1 }
        printf "{\"from\":\"%s\",\"to\":[\"%s\"],\"subject\":\"release\",\"text\":\"%s\",\"sendAt\":\"%s\"}", from, rcpt, text, at }'
}
rfc3339() { date -u -d "@$1" +%Y-%m-%dT%H:%M:%S+00:00; }
submit() {  # n body-file label
    hey -n "$1" -c "$ACCEPT_CONCURRENCY" -m POST -T application/json -H "Authorization: Bearer $API_KEY" -D "$2" \
        "$SG_URL/v1/messages" > "$OUT/hey-$3.txt" 2>&1 || true
    local accepted
    accepted=$(awk '$1 == "[202]" && $3 == "responses" { print $2 }' "$OUT/hey-$3.txt")
    [ "${accepted:-0}" = "$1" ] || die "only ${accepted:-0} of $1 $3 submissions were accepted (see $OUT/hey-$3.txt)"
}

start_sendgate release true
db=$WORK/sg-release/data/sendgate.db
if [ "$OTHER" -gt 0 ]; then
    body "$(rfc3339 $(($(date +%s) + 86400)))" > "$WORK/other.json"
    log "submitting $OTHER messages held until tomorrow"
    submit "$OTHER" "$WORK/other.json" other
fi
# T: after the due submissions will have been accepted (estimated from the rate so far), plus a margin.
t_start=$(date +%s)
estimate=$(( DUE / 500 + 5 ))
T=$(( t_start + estimate + MARGIN ))
body "$(rfc3339 "$T")" > "$WORK/due.json"
log "submitting $DUE messages held until $(rfc3339 "$T")"
submit "$DUE" "$WORK/due.json" due
now=$(date +%s)
[ "$now" -lt "$T" ] || die "the submissions ended after T ($now >= $T): raise MARGIN"
log "all accepted $((T - now)) s before T; waiting for the release"
base=$(sink_count)
deadline=$((T + 600))
while [ "$(sink_count)" -lt $((base + DUE)) ] && [ "$(date +%s)" -lt "$deadline" ]; do sleep 0.2; done
t_done=$(now_ns)
got=$(( $(sink_count) - base ))

# Lateness in ms from the events, for the DUE messages only (release_at = T).
q() { sqlite3 -cmd '.timeout 10000' "$db" "$1"; }
lateness() {  # event type -> one lateness (ms) per DUE message
    q "SELECT MIN(e.at) - m.release_at FROM messages m JOIN message_events e ON e.message_id = m.id
        WHERE m.release_at = $((T * 1000)) AND e.type = '$1' GROUP BY m.id ORDER BY 1"
}
stats() {  # file -> p50 p99 max count
    awk '{ v[NR] = $1 } END { if (NR == 0) { print "- - - 0"; exit }
        p50 = v[int((NR - 1) * 0.50) + 1]; p99 = v[int((NR - 1) * 0.99) + 1];
        printf "%d %d %d %d\n", p50, p99, v[NR], NR }' "$1"
}
lateness message.released > "$OUT/released-ms.txt"
lateness message.delivery_started > "$OUT/attempt-ms.txt"
read -r r50 r99 rmax rn < <(stats "$OUT/released-ms.txt")
read -r a50 a99 amax an < <(stats "$OUT/attempt-ms.txt")
held=$(q "SELECT count(*) FROM messages WHERE status = 'held'")
stop_sendgate release

{
    echo
    echo "held until T: $DUE (other held messages waiting: $held of $OTHER); delivered to the sink: $got"
    printf '%-34s %8s %8s %8s %8s\n' "lateness after the release time" p50 p99 max messages
    printf '%-34s %6s ms %6s ms %6s ms %8s\n' "released (held -> queued)" "$r50" "$r99" "$rmax" "$rn"
    printf '%-34s %6s ms %6s ms %6s ms %8s\n' "first delivery attempt" "$a50" "$a99" "$amax" "$an"
    awk -v ns="$t_done" -v t="$T" 'BEGIN { printf "all at the sink %.1f s after the release time\n", ns / 1e9 - t }'
    if [ "$a99" != "-" ] && [ "$a99" -le 1000 ]; then echo "target: first attempt p99 <= 1000 ms — met"; else echo "target: first attempt p99 <= 1000 ms — missed"; fi
} | tee "$OUT/summary.txt"
