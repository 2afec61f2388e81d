using Microsoft.OpenApi;
using Swashbuckle.AspNetCore.SwaggerGen;

namespace SendGate.Api.Infrastructure;

/// <summary>
/// Swagger UI lists two documents: <c>openapi.yaml</c>, the published contract, and the one
/// generated from the running endpoints. A test keeps the two in agreement.
/// </summary>
internal static class OpenApiSetup
{
    public const string ContractPath = "/openapi.yaml";

    /// <summary>The security scheme's name, the contract's too.</summary>
    public const string ApiKeyScheme = "apiKey";

    public static IServiceCollection AddSendGateOpenApi(this IServiceCollection services)
    {
        services.AddEndpointsApiExplorer();
        services.AddSwaggerGen(o =>
        {
            o.SwaggerDoc("v1", new() { Title = "SendGate (generated)", Version = "v1" });
            o.CustomSchemaIds(t => t.Name);
            // Decoded while the body is read (Base64Content), but on the wire simply a base64 string.
            o.MapType<SendGate.Core.Mime.Base64Content>(() => new OpenApiSchema { Type = JsonSchemaType.String, Format = "byte" });
            o.OperationFilter<RateLimitedResponse>();
            // As in the contract: every operation of the document takes an API key as a bearer token (the
            // anonymous ones, health and the approval pages, are left out of it), so Swagger UI offers "Authorize".
            o.AddSecurityDefinition(ApiKeyScheme, new OpenApiSecurityScheme
            {
                Type = SecuritySchemeType.Http,
                Scheme = "bearer",
                BearerFormat = "SendGate API key",
                Description = "`Authorization: Bearer <api key>`; keys are created with `POST /v1/api-keys`.",
            });
            o.AddSecurityRequirement(document => new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(ApiKeyScheme, document)] = [] });
        });
        return services;
    }

    public static WebApplication MapSendGateOpenApi(this WebApplication app)
    {
        app.UseSwagger();
        app.UseSwaggerUI(o =>
        {
            o.RoutePrefix = "swagger";
            o.SwaggerEndpoint(ContractPath, "SendGate API (contract)");
            o.SwaggerEndpoint("/swagger/v1/swagger.json", "SendGate API (generated from the running app)");
        });
        var contract = Path.Combine(AppContext.BaseDirectory, "openapi.yaml");
        app.MapGet(ContractPath, () => Results.File(contract, "application/yaml")).ExcludeFromDescription().AllowAnonymous();
        return app;
    }
}

/// <summary>
/// Every call that takes an API key can be answered 429: the per-address limit on failed
/// authentication refuses before the key is looked up, whatever the endpoint.
/// </summary>
internal sealed class RateLimitedResponse : IOperationFilter
{
    public void Apply(OpenApiOperation operation, OperationFilterContext context)
    {
        if (operation.Responses is { } responses && responses.TryGetValue("401", out var unauthorized) && !responses.ContainsKey("429"))
        {
            responses["429"] = new OpenApiResponse { Description = "Too Many Requests", Content = unauthorized.Content };
        }
    }
}
