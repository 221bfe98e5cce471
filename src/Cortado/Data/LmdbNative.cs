using System.Runtime.InteropServices;
using LightningDB;

namespace Cortado.Data;

/// <summary>
/// Points LightningDB at a native LMDB that loads here. The library LightningDB bundles needs a
/// newer glibc (2.38) than Debian 12 has, so Debian's liblmdb0 (installed by .ci/run) is tried
/// first; where it is absent, the bundled one is used.
/// </summary>
internal static class LmdbNative
{
    private static int _registered;

    public static void Register()
    {
        if (Interlocked.Exchange(ref _registered, 1) == 1) return;
        NativeLibrary.SetDllImportResolver(typeof(LightningEnvironment).Assembly, (name, _, _) =>
            name == "lmdb" && (NativeLibrary.TryLoad("liblmdb.so.0", out var handle) || NativeLibrary.TryLoad("liblmdb.so", out handle)) ? handle : IntPtr.Zero);
    }
}
