using Cortado.Data;
using Cortado.Errors;

namespace Cortado.Tests.Data;

public class LmdbNativeTests
{
    [Fact]
    public void AMissingLibraryIsOneErrorThatSaysWhatToInstall()
    {
        var error = Assert.Throws<NativeLibraryMissingException>(() => LmdbNative.Load(["libcortado-no-such-lmdb.so.9"], bundled: null));
        Assert.Equal("LMDB", error.Library);
        Assert.Contains("libcortado-no-such-lmdb.so.9", error.Message);
        Assert.Contains("apt-get install liblmdb0", error.Message);
        Assert.DoesNotContain("\n", error.Message);
    }

    [Fact]
    public void ABundledCopyThatDoesNotLoadIsNamedWithoutTheLoaderDump()
    {
        using var dir = new TempDir();
        string notALibrary = dir.File("liblmdb.so");
        File.WriteAllText(notALibrary, "not an ELF file");
        var error = Assert.Throws<NativeLibraryMissingException>(() => LmdbNative.Load(["libcortado-no-such-lmdb.so.9"], notALibrary));
        Assert.Contains("bundled copy", error.Message);
        Assert.Contains("liblmdb0", error.Message);
        Assert.DoesNotContain("\n", error.Message);
    }

    [Fact]
    public void TheSystemLibraryLoadsWhereItIsInstalled()
    {
        // .ci/run installs Debian's liblmdb0; the loader must find it before the bundled copy.
        Assert.NotEqual(IntPtr.Zero, LmdbNative.Load(LmdbNative.SystemNames, bundled: null));
    }
}
