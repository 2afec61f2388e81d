using System.Net;
using System.Text.Json;

namespace SendGate.IntegrationTests.Infrastructure;

internal static class ProblemAssert
{
    public const string TypePrefix = "urn:sendgate:problem:";

    /// <summary>
    /// Asserts an RFC 9457 problem: the status, <c>application/problem+json</c>, the stable type,
    /// a title and a human detail; with <paramref name="field"/>, also that <c>errors</c> names it
    /// and that <c>violations</c> gives it <paramref name="code"/>.
    /// </summary>
    public static async Task<JsonElement> ProblemAsync(this HttpResponseMessage response, HttpStatusCode status, string code, string? field = null)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == status, $"Expected {(int)status} {code}, got {(int)response.StatusCode}: {text}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);

        var problem = JsonDocument.Parse(text).RootElement.Clone();
        Assert.Equal(TypePrefix + code, problem.Str("type"));
        Assert.Equal((int)status, problem.GetProperty("status").GetInt32());
        Assert.False(string.IsNullOrWhiteSpace(problem.GetProperty("title").GetString()), $"title is empty: {text}");
        Assert.True(problem.TryGetProperty("detail", out var detail) && detail.ValueKind == JsonValueKind.String
            && detail.GetString()!.Trim().Length > 10, $"detail is missing or not a sentence: {text}");

        if (field is not null)
        {
            Assert.True(problem.TryGetProperty("errors", out var errors), $"errors is missing: {text}");
            Assert.True(errors.TryGetProperty(field, out var messages), $"errors has no '{field}': {text}");
            Assert.NotEmpty(messages.EnumerateArray());
            Assert.All(messages.EnumerateArray(), m => Assert.False(string.IsNullOrWhiteSpace(m.GetString())));
            Assert.Contains(problem.GetProperty("violations").EnumerateArray(), v => v.Str("field") == field && v.Str("code") == code);
        }

        return problem;
    }
}
