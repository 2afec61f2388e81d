using System.Security.Cryptography;
using System.Text;

namespace SendGate.Core.Encryption;

/// <summary>
/// A 32-byte key that never lives in the database: taken from configuration, or from a file that
/// is created (mode 600) with a random key on first use.
/// </summary>
public static class SecretKeyFile
{
    public static byte[] Load(string? configured, string file)
    {
        if (!string.IsNullOrWhiteSpace(configured))
        {
            return Convert.FromBase64String(configured.Trim());
        }

        var path = Path.GetFullPath(file);
        if (File.Exists(path))
        {
            return Read(path);
        }

        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var key = RandomNumberGenerator.GetBytes(32);
        // Written aside and moved into place, so that another host never reads a half-written key.
        var temp = $"{path}.{Guid.NewGuid():N}.tmp";
        var fileOptions = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            fileOptions.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using (var writer = new StreamWriter(temp, Encoding.ASCII, fileOptions))
        {
            writer.Write(Convert.ToBase64String(key));
        }

        try
        {
            File.Move(temp, path, overwrite: false);
            return key;
        }
        catch (IOException) when (File.Exists(path))
        {
            // Another host on this machine created it first: use theirs.
            File.Delete(temp);
            return Read(path);
        }
    }

    /// <summary>Checks a configured key at start: base64 of exactly 32 bytes (empty: the file is used).</summary>
    public static bool IsValid(string? key)
    {
        if (string.IsNullOrWhiteSpace(key))
        {
            return true;
        }

        var buffer = new byte[64];
        return Convert.TryFromBase64String(key.Trim(), buffer, out var written) && written == 32;
    }

    /// <summary>Checks an existing key file at start; a missing one is created on first use.</summary>
    public static bool IsValidFile(string file)
    {
        var path = Path.GetFullPath(file);
        if (!File.Exists(path))
        {
            return true;
        }

        var buffer = new byte[64];
        return Convert.TryFromBase64String(File.ReadAllText(path).Trim(), buffer, out var written) && written == 32;
    }

    private static byte[] Read(string path) => Convert.FromBase64String(File.ReadAllText(path).Trim());
}
