using Microsoft.Extensions.DependencyInjection;
using SendGate.Core.Hosting;

namespace SendGate.Core.ReviewConsole;

public static class ReviewConsoleModule
{
    /// <summary>What the console needs below its pages: people's roles, sign-in settings and links, held mail, its mails.</summary>
    public static IServiceCollection AddReviewConsole(this IServiceCollection services)
    {
        services.AddOptions<ConsoleOptions>().BindSettings(ConsoleOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<ConsolePeople>();
        services.AddSingleton<ConsoleSignIn>();
        services.AddSingleton<ConsoleLinks>();
        services.AddSingleton<ConsoleMails>();
        services.AddSingleton<HeldMail>();
        services.AddSingleton<SignInLinkRequests>();
        return services;
    }
}
