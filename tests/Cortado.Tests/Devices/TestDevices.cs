using Cortado.Compute;

namespace Cortado.Tests.Devices;

/// <summary>
/// A backend a test suite runs on. Suites written once as a generic class over this, with one
/// sealed subclass per device, run everything on the CPU and on the emulated device, as candle's
/// test_device! does. The emulated device is one for the whole run, so blobs built by different
/// helpers meet on the same backend; tests that count copies make their own.
/// </summary>
public interface ITestDevice
{
    static abstract ICompute Compute { get; }
}

public sealed class OnCpu : ITestDevice
{
    public static ICompute Compute => CpuCompute.Instance;
}

public sealed class OnEmulatedDevice : ITestDevice
{
    public static ICompute Compute { get; } = new EmulatedDevice();
}

/// <summary>
/// The GPU backend's kernels on ILGPU's CPU accelerator: every suite run here runs the code a CUDA
/// device runs, with the GEMM kernel standing in for cuBLAS.
/// </summary>
public sealed class OnEmulatedGpu : ITestDevice
{
    public static ICompute Compute => EmulatedGpu.Instance;
}

/// <summary>One emulated GPU for the test run: its context and compiled kernels are kept between tests.</summary>
public static class EmulatedGpu
{
    private static readonly Lazy<Cortado.Gpu.GpuCompute> Shared = new(Cortado.Gpu.GpuCompute.Emulated);
    public static Cortado.Gpu.GpuCompute Instance => Shared.Value;
}
