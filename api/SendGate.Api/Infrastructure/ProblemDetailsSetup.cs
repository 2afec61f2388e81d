using Microsoft.AspNetCore.Diagnostics;

namespace SendGate.Api.Infrastructure;

internal static class ProblemDetailsSetup
{
    public static IServiceCollection AddSendGateProblemDetails(this IServiceCollection services) =>
        services.AddProblemDetails(o => o.CustomizeProblemDetails = context =>
        {
            var problem = context.ProblemDetails;
            problem.Extensions.TryAdd("traceId", context.HttpContext.TraceIdentifier);
            if (context.Exception is not null || problem.Status >= 500)
            {
                // Real faults: a stable type and nothing from the exception (it is logged instead).
                problem.Type = Problems.Type(Problems.Internal);
                problem.Title = "Internal error";
                problem.Detail = "SendGate could not complete the request. Nothing was lost; retry, and quote traceId if it persists.";
            }
            else if (problem.Type is null or "" || problem.Type.StartsWith("https://tools.ietf.org", StringComparison.Ordinal))
            {
                problem.Type = problem.Status switch
                {
                    StatusCodes.Status404NotFound => Problems.Type(Problems.NotFound),
                    StatusCodes.Status405MethodNotAllowed => Problems.Type("method-not-allowed"),
                    StatusCodes.Status413PayloadTooLarge => Problems.Type(Problems.PayloadTooLarge),
                    StatusCodes.Status415UnsupportedMediaType => Problems.Type(Problems.UnsupportedMediaType),
                    StatusCodes.Status400BadRequest => Problems.Type(Problems.Validation),
                    _ => problem.Type,
                };
                if (problem.Status == StatusCodes.Status415UnsupportedMediaType && problem.Detail is null)
                {
                    problem.Detail = "This Content-Type is not accepted here: POST /v1/messages takes application/json or message/rfc822, other bodies application/json.";
                }
            }
        });
}
