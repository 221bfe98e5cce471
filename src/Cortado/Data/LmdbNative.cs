using System.Runtime.InteropServices;
using System.Text.RegularExpressions;
using Cortado.Errors;
using LightningDB;

namespace Cortado.Data;

/// <summary>
/// Loads the native LMDB once and points LightningDB at it. Debian's liblmdb0 comes first: the
/// copy LightningDB bundles needs glibc 2.38, newer than Debian 12's. Where neither loads, the
/// error says what to install instead of the loader's dump of every path it probed.
/// </summary>
internal static partial class LmdbNative
{
    /// <summary>The names Debian's liblmdb0 (and its -dev package) install.</summary>
    internal static readonly string[] SystemNames = ["liblmdb.so.0", "liblmdb.so"];

    private static readonly Lock Gate = new();
    private static IntPtr _handle;

    public static void EnsureLoaded()
    {
        lock (Gate)
        {
            if (_handle != IntPtr.Zero) return;
            string bundled = Path.Combine(AppContext.BaseDirectory, "runtimes", "linux-x64", "native", "liblmdb.so");
            _handle = Load(SystemNames, File.Exists(bundled) ? bundled : null);
            NativeLibrary.SetDllImportResolver(typeof(LightningEnvironment).Assembly,
                (name, _, _) => name == "lmdb" ? _handle : IntPtr.Zero);
        }
    }

    /// <summary>The first of the names that loads, else the bundled file; else an error naming the package to install.</summary>
    internal static IntPtr Load(IReadOnlyList<string> names, string? bundled)
    {
        foreach (string name in names)
            if (NativeLibrary.TryLoad(name, out var handle)) return handle;
        string why = "";
        if (bundled != null)
        {
            try { return NativeLibrary.Load(bundled); }
            catch (DllNotFoundException e)
            {
                var glibc = GlibcVersion().Match(e.Message);
                why = glibc.Success
                    ? $"; LightningDB's bundled copy needs glibc {glibc.Groups[1].Value}, newer than this system's"
                    : $"; LightningDB's bundled copy ({bundled}) did not load either";
            }
        }
        throw new NativeLibraryMissingException("LMDB",
            $"none of {string.Join(", ", names)} was found{why}. Install Debian's liblmdb0 " +
            "(sudo apt-get install liblmdb0), or your system's LMDB package; ./cortado installs it by itself where it runs as root or with sudo");
    }

    [GeneratedRegex(@"GLIBC_(\d+\.\d+)' not found")]
    private static partial Regex GlibcVersion();
}
