using Microsoft.Extensions.DependencyInjection;
using SendGate.Core.Hosting;

namespace SendGate.Core.ReviewConsole;

public static class ReviewConsoleModule
{
    /// <summary>What the console needs below its pages: people's roles, sign-in settings and links, held mail, its mails.</summary>
    public static IServiceCollection AddReviewConsole(this IServiceCollection services)
    {
        services.AddOptions<ConsoleOptions>().BindSettings(ConsoleOptions.Section)
            .Validate(o => o.SignInLinkLifetime >= TimeSpan.FromMinutes(1) && o.SignInLinkLifetime <= TimeSpan.FromHours(24),
                "SendGate:Console:SignInLinkLifetime is between 00:01:00 and 1.00:00:00.")
            .Validate(o => o.SignInLinksPerAddress is >= 1 and <= 100, "SendGate:Console:SignInLinksPerAddress is between 1 and 100.")
            .Validate(o => o.SessionLifetime >= TimeSpan.FromMinutes(5) && o.SessionLifetime <= TimeSpan.FromDays(30),
                "SendGate:Console:SessionLifetime is between 00:05:00 and 30.00:00:00.")
            .Validate(o => o.HoldNoticeLinkLifetime >= TimeSpan.FromHours(1) && o.HoldNoticeLinkLifetime <= TimeSpan.FromDays(93),
                "SendGate:Console:HoldNoticeLinkLifetime is between 01:00:00 and 93.00:00:00.")
            .ValidateOnStart();
        services.AddSingleton<ConsolePeople>();
        services.AddSingleton<ConsoleSignIn>();
        services.AddSingleton<ConsoleLinks>();
        services.AddSingleton<ConsoleMails>();
        services.AddSingleton<HeldMail>();
        services.AddSingleton<SignInLinkRequests>();
        return services;
    }
}
