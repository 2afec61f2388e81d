#!/usr/bin/env bash
# Installs the published hosts under systemd on this machine (run as root, after deploy/publish.sh):
#   /opt/sendgate/api, /opt/sendgate/worker   the binaries (root-owned, read-only to the service)
#   /etc/sendgate/sendgate.env                the settings (root:sendgate 0640; never overwritten)
#   /var/lib/sendgate                         the state directory (sendgate, 0700)
#   /etc/systemd/system/sendgate-{api,worker}.service, /usr/local/bin/sendgate-cli
# The services are installed, not started, unless --start is given (then enabled and (re)started).
# Usage: deploy/systemd/install.sh [--start] [publish folder, default publish]
# DESTDIR=/some/root installs into that tree instead, without the user, owners or systemctl
# (for packaging, and for checking the result with systemd-analyze verify --root).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"

start=false
if [ "${1:-}" = "--start" ]; then start=true; shift; fi
publish="${1:-$repo/publish}"
root="${DESTDIR:-}"

for host in api/SendGate.Api.dll worker/SendGate.Worker.dll; do
  [ -f "$publish/$host" ] || { echo "install.sh: $publish/$host is missing; run deploy/publish.sh first." >&2; exit 1; }
done
if [ -z "$root" ] && [ "$(id -u)" != "0" ]; then
  echo "install.sh: run as root (or set DESTDIR to install into a folder)." >&2
  exit 1
fi

dotnet_path="$(command -v dotnet || true)"
[ -n "$dotnet_path" ] || { echo "install.sh: dotnet (the ASP.NET Core 10 runtime) is not installed." >&2; exit 1; }

owner() { [ -n "$root" ] || chown "$@"; }

if [ -z "$root" ] && ! id sendgate >/dev/null 2>&1; then
  echo "== creating the system user sendgate"
  useradd --system --user-group --home-dir /var/lib/sendgate --no-create-home --shell /usr/sbin/nologin sendgate
fi

echo "== binaries -> $root/opt/sendgate"
install -d -m 0755 "$root/opt/sendgate"
for name in api worker; do
  # Copied aside and swapped in, so a failed copy never leaves half a version in place.
  rm -rf "$root/opt/sendgate/$name.new"
  cp -R "$publish/$name" "$root/opt/sendgate/$name.new"
  owner -R root:root "$root/opt/sendgate/$name.new"
  chmod -R u=rwX,go=rX "$root/opt/sendgate/$name.new"
  rm -rf "$root/opt/sendgate/$name.old"
  if [ -d "$root/opt/sendgate/$name" ]; then mv "$root/opt/sendgate/$name" "$root/opt/sendgate/$name.old"; fi
  mv "$root/opt/sendgate/$name.new" "$root/opt/sendgate/$name"
  rm -rf "$root/opt/sendgate/$name.old"
done

echo "== settings -> $root/etc/sendgate"
install -d -m 0750 "$root/etc/sendgate"
owner root:sendgate "$root/etc/sendgate"
if [ -f "$root/etc/sendgate/sendgate.env" ]; then
  echo "   $root/etc/sendgate/sendgate.env exists: kept (compare it with $here/sendgate.env.example)"
else
  install -m 0640 "$here/sendgate.env.example" "$root/etc/sendgate/sendgate.env"
  owner root:sendgate "$root/etc/sendgate/sendgate.env"
  echo "   $root/etc/sendgate/sendgate.env created from the example: edit it before starting"
fi

# systemd creates it too (StateDirectory=); made here so that sendgate-cli works before the first start.
install -d -m 0700 "$root/var/lib/sendgate"
owner sendgate:sendgate "$root/var/lib/sendgate"

echo "== units -> $root/etc/systemd/system, sendgate-cli -> $root/usr/local/bin"
install -d -m 0755 "$root/etc/systemd/system" "$root/usr/local/bin"
for unit in sendgate-api.service sendgate-worker.service; do
  sed "s#^ExecStart=/usr/bin/dotnet #ExecStart=$dotnet_path #" "$here/$unit" > "$root/etc/systemd/system/$unit"
  chmod 0644 "$root/etc/systemd/system/$unit"
done
sed "s#^  /usr/bin/dotnet #  $dotnet_path #" "$here/sendgate-cli" > "$root/usr/local/bin/sendgate-cli"
chmod 0755 "$root/usr/local/bin/sendgate-cli"

if [ -n "$root" ]; then
  echo "== installed into $root (no user, owners or systemctl)"
  exit 0
fi

systemctl daemon-reload
if [ "$start" = true ]; then
  echo "== enabling and (re)starting sendgate-api and sendgate-worker"
  systemctl enable sendgate-api.service sendgate-worker.service
  systemctl restart sendgate-api.service sendgate-worker.service
else
  echo "== installed, not started. Next:"
  echo "   edit /etc/sendgate/sendgate.env, then: sendgate-cli migrate"
  echo "   systemctl enable --now sendgate-api sendgate-worker"
fi
