namespace Cortado.Compute;

/// <summary>
/// Memory that belongs to a backend: a device allocation on a GPU, a separate array on the test
/// device, or the host array itself on the CPU. Layers never read it; they hand views of it
/// (<see cref="DeviceSpan{T}"/>) to the backend that made it.
/// </summary>
public abstract class DeviceBuffer<T>(ICompute owner, int length) where T : unmanaged
{
    /// <summary>The backend whose operations can read and write this memory.</summary>
    public ICompute Owner { get; } = owner;
    public int Length { get; } = length;

    public DeviceSpan<T> All => new(this, 0, Length);

    /// <summary>
    /// True when a <see cref="Tensors.SyncedMemory{T}"/> owns this memory and counts in
    /// <see cref="Writes"/> every view it hands out for writing. Memory a backend allocated for
    /// itself is not counted.
    /// </summary>
    public bool WritesCounted { get; private set; }

    /// <summary>
    /// How many views for writing have been handed out. While it stays the same the values have
    /// not changed, so a backend may keep what it derived from them (Winograd's transformed filters).
    /// </summary>
    public long Writes { get; private set; }

    internal void CountWrites() => WritesCounted = true;

    internal void CountWrite() => Writes++;
}

/// <summary>A host array seen as device memory: what the CPU backend hands out, so it never copies.</summary>
public sealed class HostBuffer<T>(ICompute owner, T[] array) : DeviceBuffer<T>(owner, array.Length) where T : unmanaged
{
    public T[] Array { get; } = array;
}
