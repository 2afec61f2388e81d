using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using SendGate.Api.ApiKeys;
using SendGate.Api.Approvals;
using SendGate.Api.Auth;
using SendGate.Api.Infrastructure;
using SendGate.Api.Messages;
using SendGate.Api.Policies;
using SendGate.Api.Tenant;
using SendGate.Api.Webhooks;
using SendGate.Core;

// Configuration is read and validated once at start; without this, the file watcher behind
// reloadable settings wakes on every write to a database kept below the content root.
var builder = WebApplication.CreateBuilder([.. args, "--hostBuilder:reloadConfigOnChange=false"]);

builder.Services.AddSendGateCore();
var worker = builder.Configuration.GetSection(WorkerOptions.Section).Get<WorkerOptions>() ?? new WorkerOptions();
if (worker.InProcess)
{
    builder.Services.AddSendGateWorker(worker);
}

builder.Services.AddSendGateAuth();
builder.Services.AddSendGateProblemDetails();
builder.Services.ConfigureHttpJsonOptions(o =>
{
    o.SerializerOptions.DefaultIgnoreCondition = JsonIgnoreCondition.Never;
});
builder.Services.AddSendGateOpenApi();

var app = builder.Build();

app.UseSendGateExceptionHandler();
app.UseStatusCodePages();
app.UseAuthentication();
app.UseAuthorization();

app.MapSendGateOpenApi();
app.MapHealthChecks("/health/live", new HealthCheckOptions { Predicate = _ => false }).ExcludeFromDescription();
app.MapHealthChecks("/health/ready", new HealthCheckOptions { Predicate = c => c.Tags.Contains("ready") }).ExcludeFromDescription();
app.MapMessages();
app.MapApiKeys();
app.MapPolicies();
app.MapTenant();
app.MapApprovals();
app.MapApprovalRoutes();
app.MapApprovalLinks();
app.MapWebhooks();

app.Run();

/// <summary>Entry point, public for the integration tests' WebApplicationFactory.</summary>
public partial class Program;
