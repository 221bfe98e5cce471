namespace Cortado.Compute;

/// <summary>
/// The CPU backend: managed SIMD kernels, multi-threaded where the work is large. It computes on
/// the blobs' host arrays themselves, so nothing is ever copied.
/// </summary>
public sealed class CpuCompute : HostMemoryCompute
{
    public static CpuCompute Instance { get; } = new();

    public override string Name => $"cpu ({GemmKernel.Best.Name}, {ComputeSettings.Threads} threads)";
    public override bool HasOwnMemory => false;

    public override DeviceBuffer<T> Allocate<T>(int length) => new HostBuffer<T>(this, new T[length]);
    public override void CopyToDevice<T>(ReadOnlySpan<T> host, DeviceSpan<T> device) => host.CopyTo(Host(device));
    public override void CopyToHost<T>(DeviceSpan<T> device, Span<T> host) => Host(device).CopyTo(host);

    protected override Span<T> Resolve<T>(DeviceSpan<T> span) =>
        span.Buffer is HostBuffer<T> host ? host.Array.AsSpan(span.Offset, span.Length)
            : throw new InvalidOperationException($"the CPU backend cannot read {span.Buffer.GetType().Name}");
}
