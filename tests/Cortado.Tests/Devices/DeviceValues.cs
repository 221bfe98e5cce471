using Cortado.Compute;

namespace Cortado.Tests.Devices;

/// <summary>Host arrays onto a backend and back, for tests that call the seam directly.</summary>
internal static class DeviceValues
{
    public static DeviceSpan<float> Upload(ICompute backend, params float[] values)
    {
        var buffer = backend.Allocate<float>(values.Length);
        backend.CopyToDevice<float>(values, buffer.All);
        return buffer.All;
    }

    public static float[] Download(ICompute backend, DeviceSpan<float> span)
    {
        var values = new float[span.Length];
        backend.CopyToHost(span, values);
        return values;
    }
}
