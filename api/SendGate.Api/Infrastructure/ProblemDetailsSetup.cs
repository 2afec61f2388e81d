using System.Text.Json;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.Extensions.Options;
using Microsoft.AspNetCore.Mvc;
using SendGate.Core.Data;
using SendGate.Core.Mime;

namespace SendGate.Api.Infrastructure;

internal static class ProblemDetailsSetup
{
    public static IServiceCollection AddSendGateProblemDetails(this IServiceCollection services)
    {
        // A body that does not bind (malformed JSON, wrong type, none at all) throws in every
        // environment, so the exception handler answers it as the client's error it is; otherwise
        // Production would answer a bare 400 and Development a 500.
        services.Configure<RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
        return services.AddProblemDetails(o => o.CustomizeProblemDetails = context =>
        {
            var problem = context.ProblemDetails;
            var request = context.HttpContext.Request;
            problem.Extensions.TryAdd("traceId", context.HttpContext.TraceIdentifier);
            if (context.Exception is BadHttpRequestException { StatusCode: < 500 } bad)
            {
                DescribeBadRequest(problem, bad, request);
            }
            else if (StorageFull.Is(context.Exception))
            {
                // Not the client's fault and not a bug: the same request succeeds once space is freed.
                problem.Status = StatusCodes.Status507InsufficientStorage;
                problem.Type = Problems.Type(Problems.StorageFull);
                problem.Title = "Insufficient storage";
                problem.Detail = "SendGate's storage is full, so this request was not accepted and nothing of it was kept; what was accepted before is safe. Retry later.";
                context.HttpContext.Response.Headers.RetryAfter = Problems.StorageFullRetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
            }
            else if (context.Exception is not null || problem.Status >= 500)
            {
                // Real faults: a stable type and nothing from the exception (it is logged instead).
                problem.Type = Problems.Type(Problems.Internal);
                problem.Title = "Internal error";
                problem.Detail = "SendGate could not complete the request. Nothing was lost; retry, and quote traceId if it persists.";
            }
            else if (problem.Type is null or "" || problem.Type.StartsWith("https://tools.ietf.org", StringComparison.Ordinal))
            {
                // Answers the framework gives before any handler runs (no route, wrong method,
                // routing's own 415) come without a detail; every problem names what went wrong.
                problem.Type = problem.Status switch
                {
                    StatusCodes.Status404NotFound => Problems.Type(Problems.NotFound),
                    StatusCodes.Status405MethodNotAllowed => Problems.Type("method-not-allowed"),
                    StatusCodes.Status413PayloadTooLarge => Problems.Type(Problems.PayloadTooLarge),
                    StatusCodes.Status415UnsupportedMediaType => Problems.Type(Problems.UnsupportedMediaType),
                    StatusCodes.Status400BadRequest => Problems.Type(Problems.Validation),
                    _ => problem.Type,
                };
                problem.Detail ??= problem.Status switch
                {
                    StatusCodes.Status404NotFound => $"There is nothing at {request.Method} {request.Path}.",
                    StatusCodes.Status405MethodNotAllowed => $"{request.Method} is not allowed on {request.Path}.",
                    StatusCodes.Status415UnsupportedMediaType => UnsupportedDetail(request),
                    _ => problem.Title,
                };
            }
        });
    }

    public static IApplicationBuilder UseSendGateExceptionHandler(this IApplicationBuilder app) =>
        app.UseExceptionHandler(new ExceptionHandlerOptions
        {
            StatusCodeSelector = ex => ex switch
            {
                BadHttpRequestException bad => bad.StatusCode,
                _ when StorageFull.Is(ex) => StatusCodes.Status507InsufficientStorage,
                _ => StatusCodes.Status500InternalServerError,
            },
            // A request that does not bind is the client's error, not ours: no error log for it.
            SuppressDiagnosticsCallback = c => c.Exception is BadHttpRequestException { StatusCode: < 500 },
        });

    private static void DescribeBadRequest(ProblemDetails problem, BadHttpRequestException bad, HttpRequest request)
    {
        problem.Status = bad.StatusCode;
        switch (bad.StatusCode)
        {
            case StatusCodes.Status413PayloadTooLarge:
                problem.Type = Problems.Type(Problems.PayloadTooLarge);
                problem.Title = "Request body too large";
                problem.Detail = $"The request body is larger than {request.Method} {request.Path} accepts.";
                break;
            case StatusCodes.Status415UnsupportedMediaType:
                problem.Type = Problems.Type(Problems.UnsupportedMediaType);
                problem.Title = "Unsupported media type";
                problem.Detail = UnsupportedDetail(request);
                break;
            default:
                if (bad.InnerException is JsonException json)
                {
                    // Same shape as the malformed-json answer of POST /v1/messages, described against the type the endpoint binds.
                    var (field, message) = request.HttpContext.GetEndpoint()?.Metadata.GetMetadata<IAcceptsMetadata>()?.RequestType is { } bound
                        ? JsonErrors.Describe(json, bound, request.HttpContext.RequestServices.GetRequiredService<IOptions<Microsoft.AspNetCore.Http.Json.JsonOptions>>().Value.SerializerOptions)
                        : (json.Path is { Length: > 2 } path ? path.TrimStart('$', '.') : "body", "The request body is not the JSON object this call expects.");
                    problem.Type = Problems.Type(ViolationCode.MalformedJson);
                    problem.Title = "Malformed JSON";
                    problem.Detail = message;
                    problem.Extensions["errors"] = new Dictionary<string, string[]> { [field] = [message] };
                    problem.Extensions["violations"] = new[]
                    {
                        new { field, code = ViolationCode.MalformedJson, type = problem.Type, message },
                    };
                }
                else
                {
                    problem.Type = Problems.Type(Problems.Validation);
                    problem.Title = "Invalid request";
                    problem.Detail = $"{request.Method} {request.Path} could not read its input: a JSON body is required, or a parameter has the wrong form. See /openapi.yaml.";
                }

                break;
        }
    }

    private static string UnsupportedDetail(HttpRequest request) =>
        $"Content-Type '{(string.IsNullOrEmpty(request.ContentType) ? "(none)" : request.ContentType)}' is not accepted by {request.Method} {request.Path}; see /openapi.yaml for the media types it takes.";
}
