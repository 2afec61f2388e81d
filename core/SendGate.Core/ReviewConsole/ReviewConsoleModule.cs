using Microsoft.Extensions.DependencyInjection;
using SendGate.Core.Hosting;

namespace SendGate.Core.ReviewConsole;

public static class ReviewConsoleModule
{
    /// <summary>What the console needs below its pages: people's roles, sign-in settings and links, held mail, its mails.</summary>
    public static IServiceCollection AddReviewConsole(this IServiceCollection services)
    {
        services.AddOptions<ConsoleOptions>().BindSettings(ConsoleOptions.Section).ValidateDataAnnotations()
            .Validate(o => !File.Exists(Path.GetFullPath(o.KeyRingFolder)), "SendGate:Console:KeyRingFolder must be a folder (or not exist yet: it is then created, mode 700).")
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
