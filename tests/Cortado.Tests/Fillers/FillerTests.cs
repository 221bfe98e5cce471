using Cortado.Fillers;
using Cortado.Layers;
using Cortado.Proto;
using Cortado.Tensors;

namespace Cortado.Tests.Fillers;

public class FillerTests
{
    private static Blob Fill(string filler, params int[] shape)
    {
        var blob = new Blob(shape);
        Filler.Fill(TextFormat.Parse<FillerParameter>(filler), blob, new CaffeRandom(7));
        return blob;
    }

    private static (double Mean, double Std) Moments(Blob blob)
    {
        double mean = blob.Data.ToArray().Average(v => (double)v);
        double variance = blob.Data.ToArray().Average(v => (v - mean) * (v - mean));
        return (mean, Math.Sqrt(variance));
    }

    [Fact]
    public void NoTypeMeansConstantZero()
    {
        var blob = new Blob(3, 4);
        blob.Data.Fill(5f);
        Filler.Fill(null, blob, new CaffeRandom(1));
        Assert.All(blob.Data.ToArray(), v => Assert.Equal(0f, v));
        Assert.All(Fill("type: 'constant' value: 2.5", 3).Data.ToArray(), v => Assert.Equal(2.5f, v));
    }

    [Fact]
    public void UniformAndGaussian()
    {
        var uniform = Fill("type: 'uniform' min: -2 max: 3", 100, 100);
        Assert.All(uniform.Data.ToArray(), v => Assert.InRange(v, -2f, 3f));
        Assert.Equal(0.5, Moments(uniform).Mean, 1);
        var (mean, std) = Moments(Fill("type: 'gaussian' mean: 1 std: 0.5", 100, 100));
        Assert.Equal(1.0, mean, 1);
        Assert.Equal(0.5, std, 1);
    }

    [Theory]
    [InlineData("", 32 * 9)]                                   // fan_in = count / shape[0] = 3*3*32... per output
    [InlineData("variance_norm: FAN_OUT", 64 * 9)]
    [InlineData("variance_norm: AVERAGE", (32 * 9 + 64 * 9) / 2.0)]
    public void XavierIsUniformWithVarianceOneOverN(string norm, double n)
    {
        var blob = Fill($"type: 'xavier' {norm}", 64, 32, 3, 3);
        float bound = (float)Math.Sqrt(3 / n);
        Assert.All(blob.Data.ToArray(), v => Assert.InRange(v, -bound, bound));
        Assert.Equal(1 / n, Moments(blob).Std * Moments(blob).Std, 3);
    }

    [Fact]
    public void MsraIsGaussianWithVarianceTwoOverFanIn()
    {
        var blob = Fill("type: 'msra'", 64, 32, 3, 3);
        Assert.Equal(Math.Sqrt(2.0 / (32 * 9)), Moments(blob).Std, 3);
    }

    [Fact]
    public void SparseGaussianKeepsAboutSparseWeightsPerOutput()
    {
        var blob = Fill("type: 'gaussian' sparse: 5", 100, 200);
        int nonZero = blob.Data.ToArray().Count(v => v != 0f);
        // Each weight survives with probability 5/100.
        Assert.InRange(nonZero, 800, 1200);
    }

    [Fact]
    public void PositiveUnitballRowsSumToOne()
    {
        var blob = Fill("type: 'positive_unitball'", 4, 10);
        for (int r = 0; r < 4; r++) Assert.Equal(1f, blob.Data.Slice(r * 10, 10).ToArray().Sum(), 5);
        Assert.All(blob.Data.ToArray(), v => Assert.True(v >= 0));
    }

    [Fact]
    public void BilinearMatchesTheUpsamplingKernel()
    {
        // kernel 4 (factor 2): f = 2, c = 0.75; 1-D weights 0.25 0.75 0.75 0.25.
        var blob = Fill("type: 'bilinear'", 1, 1, 4, 4);
        float[] w = [0.25f, 0.75f, 0.75f, 0.25f];
        for (int y = 0; y < 4; y++)
            for (int x = 0; x < 4; x++) Assert.Equal(w[y] * w[x], blob.Data[y * 4 + x], 6);
    }

    [Fact]
    public void UnknownTypeIsAnError()
    {
        var e = Assert.Throws<Cortado.Errors.CortadoException>(() => Fill("type: 'xaiver'", 2));
        Assert.Contains("unknown filler type \"xaiver\"", e.Message);
    }
}
