using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using SendGate.Api.ApiKeys;
using SendGate.Api.Approvals;
using SendGate.Api.Archive;
using SendGate.Api.Audit;
using SendGate.Api.Auth;
using SendGate.Api.Cli;
using SendGate.Api.Dkim;
using SendGate.Api.Infrastructure;
using SendGate.Api.Links;
using SendGate.Api.Messages;
using SendGate.Api.Operator;
using SendGate.Api.Policies;
using SendGate.Api.ReviewConsole;
using SendGate.Api.SmtpIngress;
using SendGate.Api.Telemetry;
using SendGate.Api.Tenants;
using SendGate.Api.Webhooks;
using SendGate.Core;
using SendGate.Core.Background;

// Configuration is read and validated once at start; without this, the file watcher behind
// reloadable settings wakes on every write to a database kept below the content root.
var builder = WebApplication.CreateBuilder([.. args, "--hostBuilder:reloadConfigOnChange=false"]);
// Bad settings end here with one line each; `keys create|list` run here and exit without serving.
if (await OperatorCommandLine.RunAsync(args, builder.Configuration) is { } exitCode)
{
    return exitCode;
}

builder.Services.AddSendGateCore();
// Runs the background schedule here when SendGate:Worker:InProcess is true (the default).
builder.Services.AddSendGateWorker(WorkerHosting.InApiHost);

// The client's address and scheme from the trusted reverse proxies (SendGate:ReverseProxy:TrustedProxies).
builder.Services.AddSendGateForwardedHeaders();
builder.Services.AddSendGateAuth();
builder.Services.AddSendGateRateLimits();
builder.Services.AddSendGateResponseHeaders();
builder.Services.AddSendGateProblemDetails();
builder.Services.ConfigureHttpJsonOptions(o =>
{
    o.SerializerOptions.DefaultIgnoreCondition = JsonIgnoreCondition.Never;
});
builder.Services.AddSendGateOpenApi();
builder.Services.AddSendGateConsole();
// The SMTP door beside the REST one; it listens only when SendGate:SmtpIngress:Enabled is true.
builder.Services.AddSendGateSmtpIngress();
// HTTP metrics and spans beside the core's meter and activity source; GET /metrics for Prometheus.
builder.Services.AddSendGateHttpTelemetry();
// A signed link's token (the request's path) never reaches a log line through its scope.
builder.Logging.RedactLinkTokensInScopes();

var app = builder.Build();

app.UseSendGateForwardedHeaders();
app.UseSendGateResponseHeaders();
app.UseSendGateExceptionHandler();
app.UseStatusCodePages();
app.UseSendGateConsole();
app.UseAuthentication();
app.UseAuthorization();
// After authentication: the submission limits count per API key and per tenant.
app.UseRateLimiter();

app.MapSendGateOpenApi();
app.MapHealthChecks("/health/live", new HealthCheckOptions { Predicate = _ => false }).ExcludeFromDescription();
app.MapHealthChecks("/health/ready", new HealthCheckOptions { Predicate = c => c.Tags.Contains("ready") }).ExcludeFromDescription();
app.MapSendGateMetrics();
// Changes made through these groups are recorded in the tenant's audit trail.
app.MapMessages().AddEndpointFilter<AuditRecorder>();
app.MapArchive().AddEndpointFilter<AuditRecorder>();
app.MapMessageLinks().AddEndpointFilter<AuditRecorder>();
app.MapApiKeys().AddEndpointFilter<AuditRecorder>();
app.MapPolicies().AddEndpointFilter<AuditRecorder>();
app.MapTenant().AddEndpointFilter<AuditRecorder>();
app.MapApprovals().AddEndpointFilter<AuditRecorder>();
app.MapApprovalRoutes().AddEndpointFilter<AuditRecorder>();
app.MapGroup("").RequireRateLimiting(RateLimits.ApprovalLinks).MapApprovalLinks();
app.MapGroup("").RequireRateLimiting(RateLimits.DownloadLinks).RequirePerLinkLimit().MapDownloadLinks();
app.MapWebhooks().AddEndpointFilter<AuditRecorder>();
app.MapAudit();
app.MapConsoleApi().AddEndpointFilter<AuditRecorder>();
app.MapSmtpIngressApi().AddEndpointFilter<AuditRecorder>();
app.MapDkimApi().AddEndpointFilter<AuditRecorder>();
// The operator's routes record their changes in the operator's own trail.
app.MapOperator();
app.MapSendGateConsole();

app.Run();
return 0;

/// <summary>Entry point, public for the integration tests' WebApplicationFactory.</summary>
public partial class Program;
