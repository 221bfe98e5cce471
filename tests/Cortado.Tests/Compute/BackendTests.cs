using Cortado.Compute;

namespace Cortado.Tests.Compute;

public class BackendTests
{
    [Fact]
    public void CpuBackendRunsTheVocabulary()
    {
        ICompute cpu = ComputeBackends.Get("cpu");
        var c = new float[4];
        cpu.Gemm(Transpose.No, Transpose.No, 2, 2, 1, 1f, [1, 2], [3, 4], 0f, c);
        Assert.Equal([3f, 4f, 6f, 8f], c);
        Assert.Equal(11f, cpu.Dot([1, 2], [3, 4]));
    }

    [Fact]
    public void GpuBackendFailsWithATypedError()
    {
        var e = Assert.Throws<BackendUnavailableException>(() => ComputeBackends.Get("gpu"));
        Assert.Equal("gpu", e.Backend);
        Assert.Contains("not available", e.Message);
    }
}
