using Microsoft.Extensions.DependencyInjection;
using SendGate.Core.Background;
using SendGate.Core.Data;
using SendGate.Core.Hosting;
using SendGate.Core.Messages.Lifecycle;

namespace SendGate.Core.Encryption;

public static class EncryptionModule
{
    /// <summary>Attachment zips, the key their passwords are kept with, and the password mails' queue.</summary>
    public static IServiceCollection AddEncryption(this IServiceCollection services)
    {
        services.AddOptions<EncryptionOptions>().BindSettings(EncryptionOptions.Section)
            .ValidateDataAnnotations()
            .Validate(o => SecretVault.IsValidKey(o.PasswordKey), "SendGate:Encryption:PasswordKey must be the base64 of 32 random bytes (e.g. openssl rand -base64 32).")
            .ValidateOnStart();
        services.AddSingleton<SecretVault>();
        services.AddSingleton<PasswordMailStore>();
        services.AddWorkQueue(PasswordMailStore.Queue);
        services.AddSingleton<MessageEncryption>();
        services.AddSingleton<PasswordMailService>();
        services.AddSingleton<IMessageMoveHandler, PasswordMailFollowing>();

        services.AddRecurringWork<PasswordMailService>("deliver-password-mails", WorkSchedule.Poll, (passwords, ct) => passwords.DeliverDueAsync(ct));
        return services;
    }
}
