namespace Cortado.Tests.Data;

/// <summary>The real Fashion-MNIST files from Debian's dataset-fashion-mnist package (installed by .ci/run).</summary>
internal static class FashionMnist
{
    public const string Folder = "/usr/share/datasets/fashion-mnist";

    public static string File(string name)
    {
        string path = Path.Combine(Folder, name);
        Assert.True(System.IO.File.Exists(path), $"{path} is missing: install Debian's dataset-fashion-mnist (apt-get install dataset-fashion-mnist, as .ci/run does)");
        return path;
    }

    public static string TestImages => File("t10k-images-idx3-ubyte.gz");
    public static string TestLabels => File("t10k-labels-idx1-ubyte.gz");
}
