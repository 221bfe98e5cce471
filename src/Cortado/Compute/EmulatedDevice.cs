namespace Cortado.Compute;

/// <summary>
/// The test device: a backend with memory of its own, kept in arrays apart from the blobs' host
/// arrays, that counts every copy between the two. It computes with the CPU kernels, so results
/// match the CPU's; what it checks is the memory contract. A layer that reads a host span on it
/// pays a counted copy, and host memory a layer hands it directly is refused. Any real backend
/// must pass the same suite with the same counts.
/// </summary>
public sealed class EmulatedDevice : HostMemoryCompute, ICopyCounting
{
    public override string Name => "emulated device";
    public override bool HasOwnMemory => true;
    public CopyCounter Copies { get; } = new();

    public override DeviceBuffer<T> Allocate<T>(int length) => new EmulatedBuffer<T>(this, length);

    public override void CopyToDevice<T>(ReadOnlySpan<T> host, DeviceSpan<T> device)
    {
        host[..device.Length].CopyTo(Host(device));
        Copies.Count(toDevice: true, device.Length);
    }

    public override void CopyToHost<T>(DeviceSpan<T> device, Span<T> host)
    {
        Host(device).CopyTo(host);
        Copies.Count(toDevice: false, device.Length);
    }

    protected override Span<T> Resolve<T>(DeviceSpan<T> span) =>
        span.Buffer is EmulatedBuffer<T> own ? own.Memory.AsSpan(span.Offset, span.Length)
            : throw new InvalidOperationException($"the emulated device was handed {span.Buffer.GetType().Name}: host memory reached the device without a copy");

    private sealed class EmulatedBuffer<T>(EmulatedDevice owner, int length) : DeviceBuffer<T>(owner, length) where T : unmanaged
    {
        public T[] Memory { get; } = new T[length];
    }
}
