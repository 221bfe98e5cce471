namespace Cortado.Compute;

/// <summary>
/// A run of elements in a backend's memory: a buffer, an offset and a length, what a pointer and
/// a count are in Caffe's GPU code. Cheap to slice and pass by value; only the owning backend
/// turns it into something it can read.
/// </summary>
public readonly struct DeviceSpan<T> where T : unmanaged
{
    public DeviceSpan(DeviceBuffer<T> buffer, int offset, int length)
    {
        if ((uint)offset > (uint)buffer.Length || (uint)length > (uint)(buffer.Length - offset))
            throw new ArgumentOutOfRangeException(nameof(length), $"[{offset}, {offset + length}) is outside a device buffer of {buffer.Length}");
        Buffer = buffer;
        Offset = offset;
        Length = length;
    }

    public DeviceBuffer<T> Buffer { get; }
    public int Offset { get; }
    public int Length { get; }
    public bool IsEmpty => Length == 0;

    public DeviceSpan<T> Slice(int start) => Slice(start, Length - start);

    public DeviceSpan<T> Slice(int start, int length)
    {
        if ((uint)start > (uint)Length || (uint)length > (uint)(Length - start))
            throw new ArgumentOutOfRangeException(nameof(length), $"slice [{start}, {start + length}) of a device span of {Length}");
        return new DeviceSpan<T>(Buffer, Offset + start, length);
    }

    public override string ToString() => $"DeviceSpan<{typeof(T).Name}>[{Offset}, {Offset + Length}) of {Buffer.Owner.Name}";
}
