using Cortado.Compute;

namespace Cortado.Gpu;

/// <summary>
/// Memory on the accelerator. Blobs do not dispose their buffers, so the memory goes back when the
/// buffer is collected (ILGPU's buffers free themselves on finalisation) or when the backend is disposed.
/// </summary>
internal sealed class GpuBuffer<T>(GpuCompute owner, MemoryBuffer1D<T, Stride1D.Dense> memory) : DeviceBuffer<T>(owner, (int)memory.Length) where T : unmanaged
{
    public MemoryBuffer1D<T, Stride1D.Dense> Memory { get; } = memory;
}
