using Cortado.Compute;

namespace Cortado.Gpu;

/// <summary>
/// Memory on the accelerator. Blobs do not dispose their buffers, so the memory goes back when the
/// buffer is collected (ILGPU's buffers free themselves on finalisation) or when the backend is disposed.
/// An empty buffer still holds one element of device memory (a device allocation cannot be empty).
/// </summary>
internal sealed class GpuBuffer<T>(GpuCompute owner, MemoryBuffer1D<T, Stride1D.Dense> memory, int length) : DeviceBuffer<T>(owner, length) where T : unmanaged
{
    public MemoryBuffer1D<T, Stride1D.Dense> Memory { get; } = memory;
}
