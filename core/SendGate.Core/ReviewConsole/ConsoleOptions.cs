using System.ComponentModel.DataAnnotations;
using SendGate.Core.Hosting;

namespace SendGate.Core.ReviewConsole;

public sealed class ConsoleOptions
{
    public const string Section = "SendGate:Console";

    /// <summary>How long a sign-in link sent by mail works (once).</summary>
    [Duration("00:01:00", "1.00:00:00")]
    public TimeSpan SignInLinkLifetime { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>Sign-in links one address may ask for within <see cref="SignInLinkLifetime"/>.</summary>
    [Range(1, 100)]
    public int SignInLinksPerAddress { get; set; } = 3;

    /// <summary>How long a console session lasts without use.</summary>
    [Duration("00:05:00", "30.00:00:00")]
    public TimeSpan SessionLifetime { get; set; } = TimeSpan.FromHours(8);

    /// <summary>Longest a hold notice's link works; it ends sooner when the mail has left or been decided.</summary>
    [Duration("01:00:00", "93.00:00:00")]
    public TimeSpan HoldNoticeLinkLifetime { get; set; } = TimeSpan.FromDays(14);

    /// <summary>
    /// The folder of the keys that sign the console's session and form cookies (ASP.NET Core Data
    /// Protection). Every API host of one installation needs the same folder (or a copy kept in step):
    /// with a key ring of its own, a host refuses the others' sessions, and a restart without it signs
    /// everyone out. Created (mode 700) at the first start.
    /// </summary>
    [Required]
    public string KeyRingFolder { get; set; } = "data/keyring";
}
