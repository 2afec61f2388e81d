using System.Security.Claims;
using SendGate.Api.Auth;
using SendGate.Core.Audit;

namespace SendGate.Api.Audit;

/// <summary>
/// Records every successful change a person or key makes through the API in the audit trail:
/// who (key and, for approvers, their address), what (method and route), which resource, when,
/// from where, and the reason or comment they gave. Reads and mail submissions are not audited
/// here (submissions have their own event trail).
/// </summary>
internal sealed class AuditRecorder(AuditTrail trail) : IEndpointFilter
{
    private static readonly HashSet<string> NotAudited = new(StringComparer.Ordinal) { "SubmitMessage", "EvaluatePolicy", "EvaluateCandidatePolicy" };

    private static readonly object DetailKey = new();

    /// <summary>The reason or comment the caller gave, for an endpoint that reads its own body.</summary>
    public static void Detail(HttpContext context, string? detail)
    {
        if (!string.IsNullOrEmpty(detail))
        {
            context.Items[DetailKey] = SendGate.Core.Policies.Detectors.SensitiveNumbers.Mask(detail);
        }
    }

    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var result = await next(context);
        var http = context.HttpContext;
        var endpoint = http.GetEndpoint();
        if (HttpMethods.IsGet(http.Request.Method) || HttpMethods.IsHead(http.Request.Method)
            || endpoint?.Metadata.GetMetadata<IEndpointNameMetadata>()?.EndpointName is { } name && NotAudited.Contains(name))
        {
            return result;
        }

        var inner = result is INestedHttpResult nested ? nested.Result : result;
        var status = (inner as IStatusCodeHttpResult)?.StatusCode ?? http.Response.StatusCode;
        if (status >= 400 || http.User.Identity?.IsAuthenticated != true)
        {
            return result;
        }

        var user = http.User;
        var actor = user.ApproverAddress() is { } approver ? $"{user.Actor().Name} ({approver})" : user.Actor().Name;
        var route = (endpoint as RouteEndpoint)?.RoutePattern.RawText ?? http.Request.Path.Value;
        var resource = string.Join(" ", http.Request.RouteValues.Where(v => v.Value is not null).Select(v => $"{v.Key}={v.Value}"));
        var detail = http.Items.TryGetValue(DetailKey, out var given) ? given as string : null;
        await trail.RecordAsync(new AuditEntry(user.TenantId(), actor, $"{http.Request.Method} {route}", resource.Length == 0 ? null : resource, detail,
            http.Connection.RemoteIpAddress?.ToString(), status), http.RequestAborted);
        return result;
    }
}
