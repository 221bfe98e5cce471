using Cortado.Compute;
using Cortado.Errors;
using Cortado.Tensors;
using static Cortado.Tests.Devices.DeviceValues;

namespace Cortado.Tests.Compute;

public class BackendTests
{
    public static TheoryData<string> Backends => ["cpu", "emulated"];

    private static ICompute Backend(string name) => name == "cpu" ? CpuCompute.Instance : new EmulatedDevice();

    [Theory]
    [MemberData(nameof(Backends))]
    public void BackendsRunTheVocabularyOnTheirOwnMemory(string name)
    {
        var backend = Backend(name);
        var c = Upload(backend, new float[4]);
        backend.Gemm(Transpose.No, Transpose.No, 2, 2, 1, 1f, Upload(backend, 1, 2), Upload(backend, 3, 4), 0f, c);
        Assert.Equal([3f, 4f, 6f, 8f], Download(backend, c));
        Assert.Equal(11f, backend.Dot(Upload(backend, 1, 2), Upload(backend, 3, 4)));
        Assert.Equal(25f, backend.SumSquares(Upload(backend, 3, -4)));
        var y = Upload(backend, 0, 0, 0);
        backend.Map(new SigmoidOp(), Upload(backend, 0, 100, -100), y);
        Assert.Equal([0.5f, 1f, 0f], Download(backend, y));
    }

    [Fact]
    public void TheEmulatedDeviceRefusesHostMemory()
    {
        var device = new EmulatedDevice();
        var host = CpuCompute.Instance.Allocate<float>(4).All;
        var e = Assert.Throws<InvalidOperationException>(() => device.Scal(2f, host));
        Assert.Contains("reached past the seam", e.Message);
    }

    [Fact]
    public void SyncedMemoryCopiesOnlyWhenTheOtherSideAsks()
    {
        var device = new EmulatedDevice();
        var blob = new Blob(2, 3);
        blob.Data.Fill(1f);
        Assert.Equal(0, device.Copies.ToDevice);
        var values = blob.ReadData(device);
        Assert.Equal(1, device.Copies.ToDevice);
        blob.ReadData(device);
        Assert.Equal(1, device.Copies.ToDevice); // synced: no second copy
        Assert.Equal(1f, blob.HostData[0]);
        Assert.Equal(0, device.Copies.ToHost); // reading the host side of a synced blob copies nothing

        device.Scal(3f, blob.WriteData(device));
        Assert.Equal(0, device.Copies.ToHost);
        Assert.Equal(3f, blob.HostData[5]);
        Assert.Equal(1, device.Copies.ToHost);
        blob.WriteData(device);
        Assert.Equal(1, device.Copies.ToDevice); // the host read left both sides valid
        Assert.Equal(6, values.Length);
    }

    [Fact]
    public void AFreshBlobIsZeroOnTheDeviceWithoutACopy()
    {
        var device = new EmulatedDevice();
        var blob = new Blob(5);
        Assert.Equal(0f, device.Asum(blob.ReadDiff(device)));
        Assert.Equal(0, device.Copies.ToDevice);
    }

    [Fact]
    public void TheCpuBackendComputesOnTheHostArrayItself()
    {
        var blob = new Blob(4);
        blob.Data.Fill(2f);
        CpuCompute.Instance.Scal(2f, blob.WriteData(CpuCompute.Instance));
        Assert.Equal(4f, blob.HostData[3]);
        blob.Data[0] = 1f;
        Assert.Equal(1f, CpuCompute.Instance.Scalar(blob.ReadData(CpuCompute.Instance).Slice(0, 1)));
    }

    [Fact]
    public void ABlobLivesOnOneBackend()
    {
        var blob = new Blob(3);
        blob.ReadData(new EmulatedDevice());
        var e = Assert.Throws<CortadoException>(() => blob.ReadData(CpuCompute.Instance));
        Assert.Contains("one backend", e.Message);
    }

    [Fact]
    public void AGpuThatIsNotThereFailsWithATypedError()
    {
        int devices = Cortado.Gpu.GpuDeviceInfo.CudaDevices().Count;
        var e = Assert.Throws<BackendUnavailableException>(() => Cortado.Gpu.ComputeBackends.Open("gpu", devices));
        Assert.Equal("GPU", e.Backend);
        Assert.Contains(devices == 0 ? "no CUDA device was found" : $"there is no CUDA device {devices}", e.Message);
        Assert.Contains("unknown compute backend 'tpu'", Assert.Throws<CortadoException>(() => Cortado.Gpu.ComputeBackends.Open("tpu")).Message);
    }
}

public class CounterRandomTests
{
    [Theory]
    [InlineData("cpu")]
    [InlineData("emulated")]
    public void KeyedStreamsRepeatAndHaveTheirMoments(string name)
    {
        ICompute backend = name == "cpu" ? CpuCompute.Instance : new EmulatedDevice();
        const int n = 200_000;
        float[] Draw(Action<DeviceSpan<float>> fill)
        {
            var buffer = backend.Allocate<float>(n);
            fill(buffer.All);
            var values = new float[n];
            backend.CopyToHost(buffer.All, values);
            return values;
        }
        var uniform = Draw(y => backend.Uniform(y, -1f, 3f, 42));
        Assert.Equal(uniform, Draw(y => backend.Uniform(y, -1f, 3f, 42)));
        Assert.NotEqual(uniform, Draw(y => backend.Uniform(y, -1f, 3f, 43)));
        Assert.All(uniform, v => Assert.InRange(v, -1f, 3f));
        Assert.Equal(1.0, uniform.Average(), 2);
        Assert.Equal(16.0 / 12, uniform.Select(v => (v - 1.0) * (v - 1.0)).Average(), 2); // (b - a)^2 / 12

        var normal = Draw(y => backend.Gaussian(y, 2f, 0.5f, 7));
        Assert.Equal(normal, Draw(y => backend.Gaussian(y, 2f, 0.5f, 7)));
        Assert.Equal(2.0, normal.Average(), 2);
        Assert.Equal(0.25, normal.Select(v => (v - 2.0) * (v - 2.0)).Average(), 2);
        // Element i depends on (key, i) only: a prefix is the same array's prefix.
        var prefix = backend.Allocate<float>(10);
        backend.Gaussian(prefix.All, 2f, 0.5f, 7);
        var head = new float[10];
        backend.CopyToHost(prefix.All, head);
        Assert.Equal(normal[..10], head);
    }
}
