using SendGate.Core.Messages;

namespace SendGate.UnitTests;

public sealed class LifecycleTableTests
{
    [Theory]
    [InlineData("held", "queued")]
    [InlineData("held", "cancelled")]
    [InlineData("awaiting_approval", "queued")]
    [InlineData("awaiting_approval", "held")]
    [InlineData("awaiting_approval", "rejected")]
    [InlineData("awaiting_approval", "cancelled")]
    [InlineData("queued", "sending")]
    [InlineData("queued", "cancelled")]
    [InlineData("sending", "sent")]
    [InlineData("sending", "queued")]
    [InlineData("sending", "failed")]
    public void Allowed(string from, string to) => Assert.True(MessageStatus.CanTransition(from, to));

    [Theory]
    [InlineData("sent", "cancelled")]
    [InlineData("sent", "queued")]
    [InlineData("sending", "cancelled")]
    [InlineData("failed", "queued")]
    [InlineData("cancelled", "queued")]
    [InlineData("rejected", "queued")]
    [InlineData("held", "sent")]
    [InlineData("queued", "sent")]
    [InlineData("unknown", "queued")]
    public void Refused(string from, string to) => Assert.False(MessageStatus.CanTransition(from, to));

    [Fact]
    public void Final_statuses_have_no_way_out_and_every_status_is_in_the_table()
    {
        Assert.Equal(MessageStatus.All.Order(), MessageStatus.Transitions.Keys.Order());
        Assert.All(new[] { "sent", "failed", "cancelled", "rejected" }, s => Assert.True(MessageStatus.IsFinal(s)));
        Assert.All(MessageStatus.Transitions.Values.SelectMany(v => v), to => Assert.Contains(to, MessageStatus.All));
    }

    [Fact]
    public void Schema_check_constraint_lists_exactly_the_lifecycle_statuses()
    {
        var script = File.ReadAllText(Path.Combine(SqlServerDialectTests.RepositoryRoot(), "sql", "sqlite", "0001_foundation.sql"));
        var check = script[script.IndexOf("CHECK (status IN (", StringComparison.Ordinal)..];
        check = check[..check.IndexOf("))", StringComparison.Ordinal)];
        var statuses = check.Split('\'').Where((_, i) => i % 2 == 1);
        Assert.Equal(MessageStatus.All.Order(), statuses.Order());
    }
}
