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
