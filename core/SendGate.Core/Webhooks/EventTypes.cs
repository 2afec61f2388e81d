using System.Reflection;

namespace SendGate.Core.Webhooks;

/// <summary>Every event type SendGate records, for subscriptions to name.</summary>
public static class EventTypes
{
    public static readonly IReadOnlyList<string> All =
        new[] { typeof(Messages.MessageEventType), typeof(Encryption.PasswordMailEventType), typeof(Links.LinkEventType), typeof(Approvals.ApprovalEventType) }
            .SelectMany(t => t.GetFields(BindingFlags.Public | BindingFlags.Static))
            .Where(f => f.IsLiteral && f.FieldType == typeof(string))
            .Select(f => (string)f.GetRawConstantValue()!)
            .Distinct(StringComparer.Ordinal)
            .Order(StringComparer.Ordinal)
            .ToList();
}
