# syntax=docker/dockerfile:1
# SendGate's two hosts in one image: target "api" (the default) or "worker".
#   docker build -t sendgate-api .    docker build --target worker -t sendgate-worker .
# Not built on the machines where SendGate is built and tested (they have no Docker daemon); kept
# minimal and standard. See deploy/README.md.

FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
# Restore first, from the project files alone, so a source change reuses the restored layer.
COPY Directory.Build.props Directory.Packages.props .editorconfig ./
COPY core/SendGate.Core/SendGate.Core.csproj core/SendGate.Core/
COPY api/SendGate.Api/SendGate.Api.csproj api/SendGate.Api/
COPY worker/SendGate.Worker/SendGate.Worker.csproj worker/SendGate.Worker/
RUN dotnet restore api/SendGate.Api/SendGate.Api.csproj \
 && dotnet restore worker/SendGate.Worker/SendGate.Worker.csproj
COPY openapi.yaml ./
COPY sql/ sql/
COPY core/ core/
COPY api/ api/
COPY worker/ worker/
RUN dotnet publish api/SendGate.Api -c Release --no-restore -p:UseAppHost=false -o /out/api \
 && dotnet publish worker/SendGate.Worker -c Release --no-restore -p:UseAppHost=false -o /out/worker

FROM mcr.microsoft.com/dotnet/aspnet:10.0 AS runtime
COPY --from=build /out/ /opt/sendgate/
# The state directory, as under systemd: owned by the image's non-root user ($APP_UID, "app").
RUN mkdir -p /var/lib/sendgate && chown "$APP_UID" /var/lib/sendgate && chmod 0700 /var/lib/sendgate
WORKDIR /var/lib/sendgate
VOLUME /var/lib/sendgate
ENV SendGate__Database__ConnectionString="Data Source=/var/lib/sendgate/sendgate.db" \
    SendGate__Archive__BlobFolder=/var/lib/sendgate/blobs \
    SendGate__Delivery__PickupDirectory=/var/lib/sendgate/outbox \
    SendGate__Encryption__PasswordKeyFile=/var/lib/sendgate/password.key \
    SendGate__Audit__KeyFile=/var/lib/sendgate/audit.key \
    SendGate__Console__KeyRingFolder=/var/lib/sendgate/keyring
USER $APP_UID

FROM runtime AS worker
ENTRYPOINT ["dotnet", "/opt/sendgate/worker/SendGate.Worker.dll"]

FROM runtime AS api
ENV ASPNETCORE_URLS=http://+:8080 \
    ASPNETCORE_CONTENTROOT=/opt/sendgate/api
EXPOSE 8080
# No curl in the runtime image: the orchestrator probes GET /health/ready (and /health/live).
ENTRYPOINT ["dotnet", "/opt/sendgate/api/SendGate.Api.dll"]
