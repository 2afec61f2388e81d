#!/usr/bin/env bash
# Peak resident memory of the API host while it accepts big mail (see bench/README.md,
# "Memory of accepting big mail").
#
# For each shape (raw MIME, JSON with a base64 attachment, the same MIME over SMTP with Python's smtplib) and each concurrency (1, 8), starts a
# fresh SendGate host (delivery off, no policy rules), warms it up with small submissions, reads
# its peak resident set (VmHWM in /proc/PID/status) as the baseline, submits SIZE_MB messages
# with curl (all at once for concurrency 8, each answered 202), and reads VmHWM again. Prints the
# rise as a multiple of one message's size; targets: <= 2x for one, <= 16x for eight at once.
# RSS is what the machine pays, so it is what is measured, not the managed heap.
#
# Runs without root: no Postfix here. Raw numbers go to bench/results/<timestamp>/.
set -euo pipefail

SIZE_MB=${SIZE_MB:-30}          # size of each message (its attachment is about 73 % of it before base64)
CONCURRENCY=${CONCURRENCY:-"1 8"}
SHAPES=${SHAPES:-"mime json smtp"}
SG_SMTP_PORT=${SG_SMTP_PORT:-12527}

# shellcheck source=bench/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
command -v dotnet >/dev/null || die "the .NET SDK (dotnet) is required"
command -v curl >/dev/null || die "curl is required"
command -v python3 >/dev/null || die "python3 is required (the SMTP client)"
require_free_ports "$SG_PORT" "$SG_SMTP_PORT"

start_results "settings: SIZE_MB=$SIZE_MB CONCURRENCY='$CONCURRENCY' SHAPES='$SHAPES'"
printf 'shape\tconcurrency\tmessage_bytes\tbaseline_kib\tpeak_kib\trise_kib\trise_x_message\tstatus\n' > "$RUNS"
build_sendgate
make_work

# ---- the messages ----------------------------------------------------------------------------
# A random attachment (nothing to compress or deduplicate), base64 in 76-character lines for MIME,
# one base64 string for JSON, as clients send them.
head -c $((SIZE_MB * 1024 * 1024 * 100 / 137)) /dev/urandom > "$WORK/attachment.bin"
{
    printf 'From: bench@example.com\r\nTo: rcpt@example.net\r\nSubject: big mail\r\n'
    printf 'Message-ID: <bigmail@example.com>\r\nMIME-Version: 1.0\r\n'
    printf 'Content-Type: multipart/mixed; boundary="b"\r\n\r\n--b\r\n'
    printf 'Content-Type: text/plain; charset=utf-8\r\n\r\nSee the attached file.\r\n--b\r\n'
    printf 'Content-Type: application/octet-stream; name="data.bin"\r\n'
    printf 'Content-Disposition: attachment; filename="data.bin"\r\nContent-Transfer-Encoding: base64\r\n\r\n'
    base64 -w 76 "$WORK/attachment.bin" | sed 's/$/\r/'
    printf -- '--b--\r\n'
} > "$WORK/message.eml"
{
    printf '{"from":"bench@example.com","to":["rcpt@example.net"],"subject":"big mail","text":"See the attached file.",'
    printf '"attachments":[{"filename":"data.bin","contentType":"application/octet-stream","content":"'
    base64 -w 0 "$WORK/attachment.bin"
    printf '"}]}'
} > "$WORK/message.json"
printf '{"from":"bench@example.com","to":["rcpt@example.net"],"subject":"warm-up","text":"small"}' > "$WORK/small.json"

vmhwm() { awk '/^VmHWM:/ { print $2 }' "/proc/$SG_PID/status"; }

submit() {  # file content-type [n] -> prints the HTTP status (202), or for smtp 202 when DATA got 250
    if [ "$2" = smtp ]; then
        # Each transaction its own Message-ID: the same one to the same envelope is a client's resend
        # of one message, which SendGate answers once (4.3.0 while the first is still being stored).
        python3 - "$SG_SMTP_PORT" "$1" "${3:-0}" <<'PY'
import smtplib, sys
data = open(sys.argv[2], "rb").read().replace(b"<bigmail@", b"<bigmail-" + sys.argv[3].encode() + b"@", 1)
with smtplib.SMTP("127.0.0.1", int(sys.argv[1]), timeout=300) as client:
    client.ehlo("bench.example.com")
    client.mail("bench@example.com")
    client.rcpt("rcpt@example.net")
    code, reply = client.data(data)
    print(202 if code == 250 else f"{code} {reply.decode(errors='replace')}")
PY
        return
    fi
    curl -s -o /dev/null -w '%{http_code}\n' -X POST "$SG_URL/v1/messages" \
        -H "Authorization: Bearer $API_KEY" -H "Content-Type: $2" --data-binary "@$1"
}

SMTP_ENV=(
    SendGate__SmtpIngress__Enabled=true
    SendGate__SmtpIngress__Endpoints__0__Address=127.0.0.1
    SendGate__SmtpIngress__Endpoints__0__Port="$SG_SMTP_PORT"
    SendGate__SmtpIngress__Endpoints__0__Tls=none
)

for shape in $SHAPES; do
    case $shape in
        mime) file=$WORK/message.eml; type=message/rfc822 ;;
        json) file=$WORK/message.json; type=application/json ;;
        smtp) file=$WORK/message.eml; type=smtp ;;
        *) die "unknown shape $shape" ;;
    esac
    bytes=$(stat -c %s "$file")
    for c in $CONCURRENCY; do
        label=$shape-$c
        if [ "$shape" = smtp ]; then
            start_sendgate "$label" false SendGate__Limits__MaxRequestBytes=$((bytes + 1048576)) "${SMTP_ENV[@]}"
            wait_port "$SG_SMTP_PORT" 30 || die "SendGate's SMTP listener did not open"
            # Connector mode: mail from 127.0.0.1 is the bootstrap tenant's, without AUTH.
            code=$(curl -s -o "$WORK/connector.json" -w '%{http_code}' -X PUT -H "Authorization: Bearer $API_KEY" \
                -H 'Content-Type: application/json' -d '{"networks":["127.0.0.1/32"],"requireTls":false}' "$SG_URL/v1/smtp/connector" || true)
            [ "$code" = 200 ] || die "PUT /v1/smtp/connector answered $code: $(cat "$WORK/connector.json")"
        else
            start_sendgate "$label" false SendGate__Limits__MaxRequestBytes=$((bytes + 1048576))
        fi
        # Warm-up: JIT, connection pools, the database's first pages.
        for _ in 1 2 3 4 5 6 7 8; do [ "$(submit "$WORK/small.json" application/json)" = 202 ] || die "warm-up refused"; done
        sleep 1
        base=$(vmhwm)
        pids=()
        for ((i = 0; i < c; i++)); do submit "$file" "$type" "$i" > "$WORK/status-$label-$i" & pids+=($!); done
        wait "${pids[@]}" || true
        peak=$(vmhwm)
        ok=$(cat "$WORK"/status-"$label"-* | grep -c '^202$' || true)
        status=ok; [ "$ok" = "$c" ] || status="only $ok of $c answered 202: $(cat "$WORK"/status-"$label"-* | tr '\n' ' ')"
        rise=$((peak - base))
        x=$(awk -v r="$rise" -v b="$bytes" 'BEGIN { printf "%.2f", r * 1024 / b }')
        record "$shape" "$c" "$bytes" "$base" "$peak" "$rise" "$x" "$status"
        log "$label: message $((bytes / 1048576)) MiB, baseline $((base / 1024)) MiB, peak $((peak / 1024)) MiB, rise ${x}x the message ($status)"
        stop_sendgate "$label"
    done
done

{
    echo
    printf '%-6s %5s %12s %12s %12s %10s  %s\n' shape conc "message MiB" "base MiB" "peak MiB" "rise" "target"
    awk -F'\t' 'NR > 1 {
        target = ($2 == 1 ? 2 : 16)
        printf "%-6s %5s %12.1f %12.1f %12.1f %9.2fx  <= %dx %s\n", $1, $2, $3 / 1048576, $4 / 1024, $5 / 1024, $7, target,
            ($8 != "ok" ? "(" $8 ")" : ($7 + 0 <= target ? "met" : "missed"))
    }' "$RUNS"
} | tee "$OUT/summary.txt"
