using System.Text;
using SendGate.Api.SmtpIngress;

namespace SendGate.IntegrationTests.SmtpIngress;

/// <summary>The read bound under the SMTP server: per DATA section, whatever the chunks the network delivers.</summary>
public sealed class BoundedStreamTests
{
    /// <summary>A stream that hands out at most <paramref name="chunk"/> bytes a read, as a slow network does.</summary>
    private sealed class Trickle(byte[] data, int chunk) : MemoryStream(data, writable: false)
    {
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            base.ReadAsync(buffer[..Math.Min(chunk, buffer.Length)], cancellationToken);
    }

    private static string Section(int bodyBytes) =>
        "MAIL FROM:<a@example.co.jp>\r\nRCPT TO:<b@example.com>\r\nDATA\r\nSubject: x\r\n\r\n" + new string('x', bodyBytes) + "\r\n.\r\n";

    private static async Task<long> ReadAllAsync(string text, int chunk, long bound)
    {
        using var stream = new BoundedStream(new Trickle(Encoding.ASCII.GetBytes(text), chunk), bound);
        var buffer = new byte[4096];
        long total = 0;
        int read;
        while ((read = await stream.ReadAsync(buffer)) > 0)
        {
            total += read;
        }

        return total;
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(7)]
    [InlineData(4096)]
    public async Task Each_section_is_counted_from_the_last_end_of_data_however_the_bytes_arrive(int chunk)
    {
        // Three messages of 900 bytes each: three times the bound in all, each one under it.
        var text = Section(900) + Section(900) + Section(900) + "QUIT\r\n";
        Assert.Equal(text.Length, await ReadAllAsync(text, chunk, bound: 1000));

        // One of 1,100 bytes is over it, wherever the chunks split it.
        await Assert.ThrowsAsync<IOException>(() => ReadAllAsync(Section(900) + Section(1100), chunk, bound: 1000));

        // A dot that is not alone on its line does not end the section.
        var stuffed = "DATA\r\n" + string.Concat(Enumerable.Repeat("..x\r\n.a\r\n", 100)) + "\r\n.\r\n";
        await Assert.ThrowsAsync<IOException>(() => ReadAllAsync(stuffed, chunk, bound: 500));
    }

    /// <summary>A client's socket: what it sends is read, what the server answers is kept.</summary>
    private sealed class Socket(string sent) : MemoryStream(Encoding.ASCII.GetBytes(sent), writable: false)
    {
        public MemoryStream Answered { get; } = new();

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) => Answered.WriteAsync(buffer, cancellationToken);
    }

    [Fact]
    public async Task Sessions_share_one_memory_budget_a_message_over_it_hears_452_and_an_answered_message_gives_its_bytes_back()
    {
        var budget = new SmtpMemoryBudget(1000);
        var first = new BoundedStream(new Socket(Section(600)), 1_000_000, budget);
        var buffer = new byte[4096];
        var length = await first.ReadAsync(buffer);
        Assert.Equal(length, budget.Used);

        // While the first message is being stored, a second one does not fit.
        var client = new Socket(Section(600));
        var second = new BoundedStream(client, 1_000_000, budget);
        await Assert.ThrowsAsync<IOException>(async () => _ = await second.ReadAsync(buffer));
        Assert.StartsWith("452 4.3.1 ", Encoding.ASCII.GetString(client.Answered.ToArray()), StringComparison.Ordinal);
        Assert.Equal(length, budget.Used);

        // The first client's next command comes after its reply: the message is no longer held.
        Assert.Equal(0, await first.ReadAsync(buffer));
        Assert.Equal(0, budget.Used);
        var third = new BoundedStream(new Socket(Section(600)), 1_000_000, budget);
        Assert.True(await third.ReadAsync(buffer) > 0);

        // A session that ends mid-message gives back what it held.
        third.Release();
        Assert.Equal(0, budget.Used);
    }
}
