#!/usr/bin/env bash
# Publishes the two hosts, framework-dependent (they run on the machine's ASP.NET Core 10 runtime):
#   publish/api      the API host     (dotnet publish/api/SendGate.Api.dll)
#   publish/worker   the worker host  (dotnet publish/worker/SendGate.Worker.dll)
# Usage: deploy/publish.sh [output folder, default publish]
set -euo pipefail
cd "$(dirname "$0")/.."

out="${1:-publish}"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

# Clean first: a file from an older build left beside the new ones would be deployed with them.
rm -rf "${out:?}/api" "${out:?}/worker"
for host in api/SendGate.Api worker/SendGate.Worker; do
  name="${host%%/*}"
  echo "== dotnet publish ${host} -> ${out}/${name}"
  # No apphost: the units and the CLI wrapper start the dll with dotnet, the same on every machine.
  dotnet publish "${host}" -c Release --self-contained false -p:UseAppHost=false -o "${out}/${name}" -v quiet -nologo
done
echo "== published: ${out}/api/SendGate.Api.dll, ${out}/worker/SendGate.Worker.dll"
