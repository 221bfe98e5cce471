using ILGPU.Runtime.Cuda;

namespace Cortado.Gpu;

/// <summary>What <c>cortado device-query</c> prints of one device, as Caffe's <c>device_query</c> does.</summary>
public sealed record GpuDeviceInfo(string Name, long MemoryBytes, string ComputeCapability, string Driver, int Multiprocessors, int WarpSize, int MaxThreadsPerGroup)
{
    internal static GpuDeviceInfo Of(Device device, bool emulated)
    {
        if (device is CudaDevice cuda)
        {
            var architecture = cuda.Architecture;
            string capability = architecture.HasValue ? $"{architecture.Value.Major}.{architecture.Value.Minor}" : "unknown";
            return new(cuda.Name, cuda.MemorySize, capability, $"CUDA {cuda.DriverVersion.Major}.{cuda.DriverVersion.Minor}",
                cuda.NumMultiprocessors, cuda.WarpSize, cuda.MaxNumThreadsPerGroup);
        }
        // The CPU accelerator reports no limit; the memory it can use is the process's.
        return new(emulated ? $"emulated GPU ({device.Name})" : device.Name, GC.GetGCMemoryInfo().TotalAvailableMemoryBytes, "none (emulated)", "ILGPU CPU accelerator",
            device.NumMultiprocessors, device.WarpSize, device.MaxNumThreadsPerGroup);
    }

    /// <summary>The CUDA devices of this machine, by id; empty where there is no CUDA driver or device.</summary>
    public static IReadOnlyList<GpuDeviceInfo> CudaDevices()
    {
        using var context = Context.Create(builder => builder.Cuda());
        var devices = new List<GpuDeviceInfo>();
        foreach (var device in context.GetCudaDevices()) devices.Add(Of(device, emulated: false));
        return devices;
    }

    public IEnumerable<string> Lines()
    {
        yield return $"Name: {Name}";
        yield return $"Total global memory: {MemoryBytes}";
        yield return $"Compute capability: {ComputeCapability}";
        yield return $"Driver: {Driver}";
        yield return $"Multiprocessors: {Multiprocessors}";
        yield return $"Warp size: {WarpSize}";
        yield return $"Max threads per block: {MaxThreadsPerGroup}";
    }
}
