#!/usr/bin/env bash
# A big file downloaded through a download link (replaceAttachmentsWithLink), against reading the
# same file from disk with cat in the same run (see bench/README.md, "Downloading from a link").
#
# Starts a fresh SendGate host (delivery to the pickup folder, the worker in process, one rule:
# every attachment becomes a link that needs no code), submits one message with a SIZE_MB random
# attachment, waits for the delivered notice, and downloads the file from the link with curl.
# Before the download the host's peak resident set (VmHWM) is reset (/proc/PID/clear_refs), so the
# rise is the download's alone; it is printed as a multiple of the file's size (target: flat, well
# under 0.1x) and the download's time as a multiple of cat's. The bytes are compared (sha256).
#
# Runs without root. Raw numbers go to bench/results/<timestamp>/.
set -euo pipefail

SIZE_MB=${SIZE_MB:-100}

# shellcheck source=bench/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
command -v dotnet >/dev/null || die "the .NET SDK (dotnet) is required"
command -v curl >/dev/null || die "curl is required"
require_free_ports "$SG_PORT"

start_results "settings: SIZE_MB=$SIZE_MB"
printf 'what\tbytes\tseconds\tpeak_rise_kib\trise_x_file\tstatus\n' > "$RUNS"
build_sendgate
make_work

head -c $((SIZE_MB * 1024 * 1024)) /dev/urandom > "$WORK/attachment.bin"
{
    printf 'From: bench@example.com\r\nTo: rcpt@example.net\r\nSubject: big download\r\n'
    printf 'Message-ID: <download@example.com>\r\nMIME-Version: 1.0\r\n'
    printf 'Content-Type: multipart/mixed; boundary="b"\r\n\r\n--b\r\n'
    printf 'Content-Type: text/plain; charset=utf-8\r\n\r\nSee the attached file.\r\n--b\r\n'
    printf 'Content-Type: application/octet-stream; name="data.bin"\r\n'
    printf 'Content-Disposition: attachment; filename="data.bin"\r\nContent-Transfer-Encoding: base64\r\n\r\n'
    base64 -w 76 "$WORK/attachment.bin" | sed 's/$/\r/'
    printf -- '--b--\r\n'
} > "$WORK/message.eml"

start_sendgate download true \
    SendGate__Delivery__Mode=Pickup SendGate__Delivery__PickupDirectory="$WORK/outbox" \
    SendGate__Links__StoreFolder="$WORK/downloads" SendGate__Worker__PollInterval=00:00:00.200 \
    SendGate__Limits__MaxRequestBytes=$((SIZE_MB * 2 * 1024 * 1024)) \
    SendGate__Notifications__PublicBaseUrl="$SG_URL"
auth=(-H "Authorization: Bearer $API_KEY")
curl -sf "${auth[@]}" -X PUT -H 'Content-Type: application/json' "$SG_URL/v1/policies" \
    -d '{"rules":[{"id":"link","name":"link","actions":[{"type":"replaceAttachmentsWithLink","verifyRecipient":false}]}]}' > /dev/null \
    || die "the policy was refused"
status=$(curl -s -o /dev/null -w '%{http_code}' "${auth[@]}" -H 'Content-Type: message/rfc822' --data-binary "@$WORK/message.eml" "$SG_URL/v1/messages")
[ "$status" = 202 ] || die "the submission answered $status"

link=""
for ((i = 0; i < 600 && ${#link} == 0; i++)); do
    sleep 0.2
    # The notice is a text part in the tenant's language, so transfer-encoded: read it decoded.
    for mail in "$WORK"/outbox/*; do
        [ -f "$mail" ] || continue
        link=$(/usr/bin/python3 -c 'import email, sys
m = email.message_from_binary_file(open(sys.argv[1], "rb"))
print("\n".join(p.get_payload(decode=True).decode("utf-8", "replace") for p in m.walk() if p.get_content_type() == "text/plain"))' "$mail" \
            | grep -oE "$SG_URL/download/[A-Za-z0-9_-]{43}" | head -1 || true)
    done
done
[ -n "$link" ] || { cp "$WORK/sg-download/sendgate.log" "$OUT/" 2>/dev/null || true; die "no notice with a link was delivered (see $OUT/sendgate.log)"; }
log "delivered; downloading from the link"

echo 5 > "/proc/$SG_PID/clear_refs"
base_kib=$(awk '/^VmHWM:/ { print $2 }' "/proc/$SG_PID/status")
bytes=$(stat -c %s "$WORK/attachment.bin")
start=$(now_ns)
curl -sf -o "$WORK/downloaded.bin" "$link/files/0" || die "the download failed"
took=$(( $(now_ns) - start ))
peak_kib=$(awk '/^VmHWM:/ { print $2 }' "/proc/$SG_PID/status")
rise=$((peak_kib - base_kib))
same=ok
[ "$(sha256sum < "$WORK/downloaded.bin")" = "$(sha256sum < "$WORK/attachment.bin")" ] || same=different-bytes
record download "$bytes" "$(secs "$took")" "$rise" "$(awk -v r="$rise" -v b="$bytes" 'BEGIN { printf "%.3f", r * 1024 / b }')" "$same"

sync; start=$(now_ns)
cat "$WORK/attachment.bin" > /dev/null
cat_took=$(( $(now_ns) - start ))
record cat "$bytes" "$(secs "$cat_took")" 0 0 ok
stop_sendgate download

column -t -s $'\t' "$RUNS" >&2
echo "download of $SIZE_MB MB: peak RSS rise $((rise / 1024)) MiB ($(awk -v r="$rise" -v b="$bytes" 'BEGIN { printf "%.3f", r * 1024 / b }')x the file), $(secs "$took") s = $(ratio "$took" "$cat_took")x cat ($(secs "$cat_took") s, from the page cache); bytes $same"
