using Cortado.Cli;
using Cortado.Tests.Data;

namespace Cortado.Tests.Cli;

public class DataVerbTests
{
    private static (int Code, string Out, string Err) Run(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        return (CommandLine.Run(args, output, error), output.ToString(), error.ToString());
    }

    [Fact]
    public void ConvertInspectAndAverageFashionMnist()
    {
        using var dir = new TempDir();
        var (code, output, error) = Run("convert-idx", FashionMnist.TestImages, FashionMnist.TestLabels, dir.File("test_lmdb"));
        Assert.True(code == 0, error);
        Assert.Contains("Wrote 10000 records", output);

        (code, output, error) = Run("db-info", dir.File("test_lmdb"));
        Assert.True(code == 0, error);
        Assert.Contains("10000 records, keys 00000000 .. 00009999", output);
        Assert.Contains("shape: 1 x 28 x 28", output);
        Assert.Contains("pixels: min 0, max 255", output);
        Assert.Contains("the net sees 0..255", output);
        Assert.Contains("labels: 10 classes, 0..9", output);
        Assert.Contains(": shuffled", output);

        (code, output, error) = Run("compute-image-mean", dir.File("test_lmdb"), dir.File("mean.binaryproto"));
        Assert.True(code == 0, error);
        Assert.Contains("Wrote the 1 x 28 x 28 mean image", output);
        Assert.True(File.Exists(dir.File("mean.binaryproto")));

        (code, _, error) = Run("convert-idx", FashionMnist.TestImages, FashionMnist.TestLabels, dir.File("test_lmdb"));
        Assert.Equal(1, code);
        Assert.Contains("already exists; refusing to overwrite it (pass --overwrite to replace it)", error);
    }
}
