namespace SendGate.IntegrationTests.Contract;

/// <summary>One operation of a document, under its normalised path.</summary>
internal sealed record OpenApiOperation(string Path, string Method, Dictionary<string, object?> Node, bool ExcludedFromGenerated)
{
    public string Key => $"{Method} {Path}";

    public IReadOnlySet<string> StatusCodes =>
        (Node.GetValueOrDefault("responses") as Dictionary<string, object?>)?.Keys.ToHashSet(StringComparer.Ordinal) ?? [];
}

/// <summary>An OpenAPI document as plain dictionaries (see <see cref="OpenApiTree"/>), with local <c>$ref</c> resolution.</summary>
internal sealed class OpenApiDocument(string name, Dictionary<string, object?> root)
{
    /// <summary>Marks a path item or operation of the contract that the generated document leaves out on purpose.</summary>
    public const string ExcludedFromGenerated = "x-excluded-from-generated";

    private static readonly string[] Methods = ["get", "put", "post", "delete", "options", "head", "patch", "trace"];

    public string Name => name;

    public Dictionary<string, object?> Root => root;

    public IReadOnlyList<OpenApiOperation> Operations()
    {
        var operations = new List<OpenApiOperation>();
        foreach (var (path, value) in root.GetValueOrDefault("paths") as Dictionary<string, object?> ?? [])
        {
            if (value is not Dictionary<string, object?> item)
            {
                continue;
            }

            var pathParameters = item.GetValueOrDefault("parameters") as List<object?> ?? [];
            foreach (var method in Methods)
            {
                if (item.GetValueOrDefault(method) is not Dictionary<string, object?> operation)
                {
                    continue;
                }

                // Path-level parameters apply to every operation; an operation's own one with the same name and place wins.
                var parameters = new List<object?>(pathParameters);
                parameters.AddRange(operation.GetValueOrDefault("parameters") as List<object?> ?? []);
                var node = new Dictionary<string, object?>(operation, StringComparer.Ordinal) { ["parameters"] = parameters };
                operations.Add(new OpenApiOperation(NormalisePath(path), method.ToUpperInvariant(), node,
                    IsTrue(item.GetValueOrDefault(ExcludedFromGenerated)) || IsTrue(operation.GetValueOrDefault(ExcludedFromGenerated))));
            }
        }

        return operations;
    }

    /// <summary>Follows <c>$ref</c> chains; returns the target and the last reference followed, or reports one that does not resolve.</summary>
    public (Dictionary<string, object?>? Node, string? Reference) Resolve(object? node, ICollection<string> problems)
    {
        string? reference = null;
        for (var depth = 0; node is Dictionary<string, object?> map && map.GetValueOrDefault("$ref") is string next; depth++)
        {
            if (depth > 32)
            {
                problems.Add($"{name}: $ref '{next}' is circular.");
                return (null, next);
            }

            reference = next;
            node = Pointer(next);
            if (node is null)
            {
                problems.Add($"{name}: $ref '{next}' does not resolve to anything in the document.");
                return (null, next);
            }
        }

        return (node as Dictionary<string, object?>, reference);
    }

    public static string NormalisePath(string path) => path.Length > 1 ? path.TrimEnd('/') : path;

    public static bool IsTrue(object? value) => value is string s && s.Equals("true", StringComparison.OrdinalIgnoreCase);

    private object? Pointer(string reference)
    {
        if (!reference.StartsWith("#/", StringComparison.Ordinal))
        {
            return null;
        }

        object? node = root;
        foreach (var segment in reference[2..].Split('/'))
        {
            var key = segment.Replace("~1", "/", StringComparison.Ordinal).Replace("~0", "~", StringComparison.Ordinal);
            node = node is Dictionary<string, object?> map ? map.GetValueOrDefault(key) : null;
        }

        return node;
    }
}

/// <summary>
/// Names every disagreement between the published contract and the document generated from the
/// running endpoints: operations; per operation its status codes, parameters, request and
/// response media types; and the member names (and types) of every JSON schema reachable from
/// an operation, recursively through nested objects, array items and map values.
/// </summary>
internal sealed class OpenApiDrift
{
    private readonly OpenApiDocument contract;
    private readonly OpenApiDocument generated;
    private readonly List<string> differences = [];
    private readonly HashSet<(string, string)> comparedSchemas = [];

    private OpenApiDrift(OpenApiDocument contract, OpenApiDocument generated) =>
        (this.contract, this.generated) = (contract, generated);

    public static IReadOnlyList<string> Compare(OpenApiDocument contract, OpenApiDocument generated)
    {
        var drift = new OpenApiDrift(contract, generated);
        drift.CompareOperations();
        return drift.differences.Distinct(StringComparer.Ordinal).ToList();
    }

    private void CompareOperations()
    {
        var ours = contract.Operations().ToDictionary(o => o.Key, StringComparer.Ordinal);
        var theirs = generated.Operations().ToDictionary(o => o.Key, StringComparer.Ordinal);
        foreach (var key in ours.Keys.Union(theirs.Keys).Order(StringComparer.Ordinal))
        {
            var inContract = ours.GetValueOrDefault(key);
            var inGenerated = theirs.GetValueOrDefault(key);
            if (inContract is { ExcludedFromGenerated: true })
            {
                if (inGenerated is not null)
                {
                    differences.Add($"{key}: marked {OpenApiDocument.ExcludedFromGenerated} in the contract, but the generated document has it.");
                }
            }
            else if (inGenerated is null)
            {
                differences.Add($"{key}: in the contract, but the running app has no such endpoint.");
            }
            else if (inContract is null)
            {
                differences.Add($"{key}: the running app has this endpoint, but the contract does not document it.");
            }
            else
            {
                CompareOperation(key, inContract.Node, inGenerated.Node);
            }
        }
    }

    private void CompareOperation(string key, Dictionary<string, object?> ours, Dictionary<string, object?> theirs)
    {
        CompareNames($"{key}: parameter", Parameters(contract, ours), Parameters(generated, theirs));

        var ourBody = contract.Resolve(ours.GetValueOrDefault("requestBody"), differences).Node;
        var theirBody = generated.Resolve(theirs.GetValueOrDefault("requestBody"), differences).Node;
        if (ourBody is not null || theirBody is not null)
        {
            CompareContent($"{key}: request body", ourBody, theirBody);
        }

        var ourResponses = ours.GetValueOrDefault("responses") as Dictionary<string, object?> ?? [];
        var theirResponses = theirs.GetValueOrDefault("responses") as Dictionary<string, object?> ?? [];
        CompareNames($"{key}: response status", ourResponses.Keys, theirResponses.Keys);
        foreach (var status in ourResponses.Keys.Intersect(theirResponses.Keys, StringComparer.Ordinal))
        {
            CompareContent($"{key}: response {status}",
                contract.Resolve(ourResponses[status], differences).Node,
                generated.Resolve(theirResponses[status], differences).Node);
        }
    }

    /// <summary>Media types of a request body or response, and the schemas of those that are JSON.</summary>
    private void CompareContent(string where, Dictionary<string, object?>? ours, Dictionary<string, object?>? theirs)
    {
        var ourContent = MediaTypes(ours);
        var theirContent = MediaTypes(theirs);
        CompareNames($"{where}: media type", ourContent.Keys, theirContent.Keys);
        foreach (var mediaType in ourContent.Keys.Intersect(theirContent.Keys, StringComparer.Ordinal).Where(IsJson))
        {
            CompareSchema($"{where} {mediaType}", "$", ourContent[mediaType], theirContent[mediaType], depth: 0);
        }
    }

    private void CompareSchema(string origin, string at, object? ourNode, object? theirNode, int depth)
    {
        var (ours, ourReference) = contract.Resolve(ourNode, differences);
        var (theirs, theirReference) = generated.Resolve(theirNode, differences);
        if (ours is null || theirs is null || depth > 32)
        {
            return;
        }

        if (ourReference is not null && theirReference is not null)
        {
            // A pair of named schemas is compared once, and named by the contract's component.
            if (!comparedSchemas.Add((ourReference, theirReference)))
            {
                return;
            }

            at = ourReference[(ourReference.LastIndexOf('/') + 1)..];
        }

        var where = $"schema {at} (reached from {origin})";
        if (ours.GetValueOrDefault("type") is string ourType && theirs.GetValueOrDefault("type") is string theirType && ourType != theirType)
        {
            differences.Add($"{where}: type is '{ourType}' in the contract but '{theirType}' in the generated document.");
        }

        var ourProperties = Properties(contract, ours);
        var theirProperties = Properties(generated, theirs);
        if (ourProperties.Count > 0 || theirProperties.Count > 0)
        {
            foreach (var name in theirProperties.Keys.Except(ourProperties.Keys, StringComparer.Ordinal).Order(StringComparer.Ordinal))
            {
                differences.Add($"{where}: member '{name}' is missing from the contract.");
            }

            // An open generated object with members (RFC 9457 ProblemDetails) carries extension members the
            // generator cannot see; the contract documents them, and a test checks them against real problems.
            var open = theirProperties.Count > 0 && !IsFalse(theirs.GetValueOrDefault("additionalProperties"));
            if (!open)
            {
                foreach (var name in ourProperties.Keys.Except(theirProperties.Keys, StringComparer.Ordinal).Order(StringComparer.Ordinal))
                {
                    differences.Add($"{where}: member '{name}' is in the contract but not in the generated document.");
                }
            }

            foreach (var name in ourProperties.Keys.Intersect(theirProperties.Keys, StringComparer.Ordinal))
            {
                CompareSchema(origin, $"{at}.{name}", ourProperties[name], theirProperties[name], depth + 1);
            }
        }

        var ourItems = ours.GetValueOrDefault("items");
        var theirItems = theirs.GetValueOrDefault("items");
        if (ourItems is not null && theirItems is not null)
        {
            CompareSchema(origin, $"{at}[]", ourItems, theirItems, depth + 1);
        }
        else if (ourItems is not null || theirItems is not null)
        {
            differences.Add($"{where}: an array only in the {(ourItems is null ? "generated document" : "contract")}.");
        }

        var ourMap = MapValues(ours, ourProperties);
        var theirMap = MapValues(theirs, theirProperties);
        if (ourMap is not null && theirMap is not null)
        {
            CompareSchema(origin, $"{at}{{*}}", ourMap, theirMap, depth + 1);
        }
        else if (ourMap is not null || theirMap is not null)
        {
            differences.Add($"{where}: a map (additionalProperties) only in the {(ourMap is null ? "generated document" : "contract")}.");
        }
    }

    private void CompareNames(string what, IEnumerable<string> ours, IEnumerable<string> theirs)
    {
        var ourSet = ours.ToHashSet(StringComparer.Ordinal);
        var theirSet = theirs.ToHashSet(StringComparer.Ordinal);
        foreach (var name in ourSet.Except(theirSet).Order(StringComparer.Ordinal))
        {
            differences.Add($"{what} {name} is in the contract but not in the generated document.");
        }

        foreach (var name in theirSet.Except(ourSet).Order(StringComparer.Ordinal))
        {
            differences.Add($"{what} {name} is in the generated document but not in the contract.");
        }
    }

    private IEnumerable<string> Parameters(OpenApiDocument document, Dictionary<string, object?> operation) =>
        (operation.GetValueOrDefault("parameters") as List<object?> ?? [])
            .Select(p => document.Resolve(p, differences).Node)
            .OfType<Dictionary<string, object?>>()
            .Select(p => (In: p.GetValueOrDefault("in") as string ?? "?", Name: p.GetValueOrDefault("name") as string ?? "?"))
            // Header names are case-insensitive; the rest are compared as written.
            .Select(p => $"'{(p.In == "header" ? p.Name.ToLowerInvariant() : p.Name)}' ({p.In})");

    private static Dictionary<string, object?> MediaTypes(Dictionary<string, object?>? bodyOrResponse)
    {
        var result = new Dictionary<string, object?>(StringComparer.Ordinal);
        foreach (var (mediaType, value) in bodyOrResponse?.GetValueOrDefault("content") as Dictionary<string, object?> ?? [])
        {
            result[mediaType.Split(';')[0].Trim().ToLowerInvariant()] = (value as Dictionary<string, object?>)?.GetValueOrDefault("schema");
        }

        return result;
    }

    private Dictionary<string, object?> Properties(OpenApiDocument document, Dictionary<string, object?> schema)
    {
        var properties = new Dictionary<string, object?>(StringComparer.Ordinal);
        foreach (var part in schema.GetValueOrDefault("allOf") as List<object?> ?? [])
        {
            if (document.Resolve(part, differences).Node is { } resolved)
            {
                foreach (var (name, value) in Properties(document, resolved))
                {
                    properties[name] = value;
                }
            }
        }

        foreach (var (name, value) in schema.GetValueOrDefault("properties") as Dictionary<string, object?> ?? [])
        {
            properties[name] = value;
        }

        return properties;
    }

    /// <summary>The value schema of a map (an object with no members and a non-empty additionalProperties schema).</summary>
    private static Dictionary<string, object?>? MapValues(Dictionary<string, object?> schema, Dictionary<string, object?> properties) =>
        properties.Count == 0 && schema.GetValueOrDefault("additionalProperties") is Dictionary<string, object?> { Count: > 0 } values ? values : null;

    private static bool IsJson(string mediaType) =>
        mediaType == "application/json" || mediaType.EndsWith("+json", StringComparison.Ordinal);

    private static bool IsFalse(object? value) => value is string s && s.Equals("false", StringComparison.OrdinalIgnoreCase);
}
