using System.Globalization;
using Cortado.Errors;
using Cortado.Compute;
using Cortado.Proto;

namespace Cortado.Tensors;

/// <summary>
/// Caffe's blob: a shape of any rank (N x C x H x W for images) with a float32 data buffer
/// and a float32 diff (gradient) buffer of the same size, each a <see cref="SyncedMemory{T}"/>
/// that lives on the host, on a backend's device, or both. Layers ask for device views
/// (<see cref="ReadData"/>, <see cref="WriteData"/>, ...); <see cref="Data"/> and
/// <see cref="Diff"/> are the host views, for code that is host by nature. Reshaping keeps the
/// buffers when the new shape fits in them, so layers can reshape every batch without
/// allocating. The diff buffer is allocated on first use (test nets never need it).
/// </summary>
public sealed class Blob
{
    private int[] _shape = [];
    private bool _shaped;
    private SyncedMemory<float> _data = new(0);
    private SyncedMemory<float>? _diff;

    public Blob() { }

    public Blob(params int[] shape) => Reshape(shape);

    public string Name { get; set; } = "";
    public IReadOnlyList<int> Shape => _shape;
    public int NumAxes => _shape.Length;
    public int Count { get; private set; }
    /// <summary>Floats the buffers can hold without reallocating.</summary>
    public int Capacity => _data.Capacity;

    /// <summary>
    /// The values on the host, for writing (and reading): a device copy is stale afterwards, and
    /// what a backend derived from the values is made again. Ask again for each change: a span kept
    /// across a forward pass and written later is not seen.
    /// </summary>
    public Span<float> Data => _data.WriteHost(Count);
    /// <summary>The gradient on the host, for writing (and reading).</summary>
    public Span<float> Diff => DiffMemory.WriteHost(Count);
    /// <summary>The values on the host, for reading only: a device copy stays valid.</summary>
    public ReadOnlySpan<float> HostData => _data.ReadHost(Count);
    public ReadOnlySpan<float> HostDiff => DiffMemory.ReadHost(Count);

    /// <summary>The values in <paramref name="backend"/>'s memory, for reading.</summary>
    public DeviceSpan<float> ReadData(ICompute backend) => _data.ReadDevice(backend, Count);
    /// <summary>The values in <paramref name="backend"/>'s memory, for writing or updating.</summary>
    public DeviceSpan<float> WriteData(ICompute backend) => _data.WriteDevice(backend, Count);
    public DeviceSpan<float> ReadDiff(ICompute backend) => DiffMemory.ReadDevice(backend, Count);
    public DeviceSpan<float> WriteDiff(ICompute backend) => DiffMemory.WriteDevice(backend, Count);

    private SyncedMemory<float> DiffMemory => _diff ??= new SyncedMemory<float>(_data.Capacity);

    public void Reshape(params int[] shape) => Reshape((ReadOnlySpan<int>)shape);

    public void Reshape(ReadOnlySpan<int> shape)
    {
        // Layers reshape on every forward; the same shape again costs nothing (no allocation).
        if (_shaped && shape.SequenceEqual(_shape)) return;
        long count = Shapes.Count(shape, $"blob {Describe()}");
        EnsureMemory(count, shape);
        _shape = shape.ToArray();
        _shaped = true;
        Count = (int)count;
        if (count > _data.Capacity)
        {
            _data = new SyncedMemory<float>((int)count);
            _diff = null;
        }
    }

    public void ReshapeLike(Blob other) => Reshape(other._shape);

    public void Reshape(BlobShape shape) => Reshape(Shapes.FromDims(shape.Dim, $"blob {Describe()}"));

    /// <summary>Axis index counted from the end when negative, as Caffe's CanonicalAxisIndex.</summary>
    public int CanonicalAxis(int axis)
    {
        if (axis < -NumAxes || axis >= NumAxes)
            throw new CortadoException($"axis {axis} is out of range for blob {Describe()} with {NumAxes} axes ({ShapeString})");
        return axis < 0 ? axis + NumAxes : axis;
    }

    public int ShapeAt(int axis) => _shape[CanonicalAxis(axis)];

    /// <summary>Product of the dimensions from <paramref name="start"/> up to (not including) <paramref name="end"/>.</summary>
    public int CountRange(int start, int end)
    {
        if (start < 0 || end > NumAxes || start > end) throw new ArgumentOutOfRangeException(nameof(start), $"axes [{start}, {end}) of a {NumAxes}-axis blob");
        int count = 1;
        for (int i = start; i < end; i++) count *= _shape[i];
        return count;
    }

    public int CountFrom(int start) => CountRange(start, NumAxes);

    // Caffe's legacy 4-D accessors: axes past the blob's rank count as 1.
    public int Num => LegacyShape(0);
    public int Channels => LegacyShape(1);
    public int Height => LegacyShape(2);
    public int Width => LegacyShape(3);

    private int LegacyShape(int index) => index < NumAxes ? _shape[index] : 1;

    /// <summary>Flat index of (n, c, h, w) in a 4-D blob.</summary>
    public int Offset(int n, int c = 0, int h = 0, int w = 0) => ((n * Channels + c) * Height + h) * Width + w;

    /// <summary>The shape as Caffe logs it: "128 32 22 13 (1171456)", or "(1)" for a scalar.</summary>
    public string ShapeString => string.Concat(_shape.Select(d => d.ToString(CultureInfo.InvariantCulture) + " ")) + $"({Count.ToString(CultureInfo.InvariantCulture)})";

    public bool ShapeEquals(Blob other) => _shape.AsSpan().SequenceEqual(other._shape);

    /// <summary>Makes this blob use <paramref name="other"/>'s data buffer (shared weights, in-place views).</summary>
    public void ShareData(Blob other)
    {
        if (other.Count != Count) throw new CortadoException($"cannot share data of blob {other.Describe()} ({other.ShapeString}) with {Describe()} ({ShapeString}): counts differ");
        _data = other._data;
    }

    public void ShareDiff(Blob other)
    {
        if (other.Count != Count) throw new CortadoException($"cannot share diff of blob {other.Describe()} ({other.ShapeString}) with {Describe()} ({ShapeString}): counts differ");
        _diff = other.DiffMemory;
    }

    public void CopyFrom(Blob source, bool copyDiff = false, bool reshape = false)
    {
        if (!ShapeEquals(source))
        {
            if (!reshape) throw new CortadoException($"cannot copy blob {source.Describe()} ({source.ShapeString}) into {Describe()} ({ShapeString}): shapes differ");
            ReshapeLike(source);
        }
        (copyDiff ? source.HostDiff : source.HostData).CopyTo(copyDiff ? Diff : Data);
    }

    /// <summary>Loads shape and values from a BlobProto (its shape field, or the legacy num/channels/height/width).</summary>
    public void FromProto(BlobProto proto, bool reshape = true)
    {
        int[] shape = ProtoShape(proto, $"the stored values for blob {Describe()}");
        if (reshape) Reshape(shape);
        else if (!_shape.AsSpan().SequenceEqual(shape))
            throw new CortadoException($"stored blob has shape {string.Join(" ", shape)} but {Describe()} has shape {ShapeString}");

        if (proto.DoubleData.Count > 0) CopyValues(proto.DoubleData.Select(d => (float)d).ToArray(), Data, "double_data");
        else if (proto.Data.Count > 0 || Count > 0) CopyValues(proto.Data, Data, "data");
        if (proto.DoubleDiff.Count > 0) CopyValues(proto.DoubleDiff.Select(d => (float)d).ToArray(), Diff, "double_diff");
        else if (proto.Diff.Count > 0) CopyValues(proto.Diff, Diff, "diff");
    }

    public BlobProto ToProto(bool writeDiff = false)
    {
        var proto = new BlobProto { Shape = new BlobShape() };
        foreach (int dim in _shape) proto.Shape.Dim.Add(dim);
        proto.Data.Add(HostData.ToArray());
        if (writeDiff) proto.Diff.Add(HostDiff.ToArray());
        return proto;
    }

    /// <summary>The stored shape: its shape field, or the legacy num/channels/height/width; checked, with <paramref name="where"/> in errors.</summary>
    public static int[] ProtoShape(BlobProto proto, string where)
    {
        if (proto.Shape != null) return Shapes.FromDims(proto.Shape.Dim, where);
        if (proto.HasNum || proto.HasChannels || proto.HasHeight || proto.HasWidth)
            return Shapes.FromDims([proto.Num, proto.Channels, proto.Height, proto.Width], where);
        return [];
    }

    private void CopyValues(IReadOnlyList<float> values, Span<float> target, string field)
    {
        if (values.Count != Count)
            throw new CortadoException($"stored blob's {field} holds {values.Count} values but its shape {ShapeString} needs {Count}");
        for (int i = 0; i < values.Count; i++) target[i] = values[i];
    }

    // A blob bigger than the memory the process can get fails here, with its name and shape, not as an out-of-memory crash.
    private void EnsureMemory(long count, ReadOnlySpan<int> shape)
    {
        if (count <= _data.Capacity || count < (1 << 24)) return;
        long available = AvailableMemory();
        long needed = count * sizeof(float) * 2;
        if (needed > available)
            throw new CortadoException($"blob {Describe()} shape {string.Join(" x ", shape.ToArray())} needs {needed / 1e9:F1} GB for its data and diff, more than the {available / 1e9:F1} GB available");
    }

    /// <summary>Bytes the process may allocate; replaceable so tests can stand in for a smaller machine.</summary>
    internal static Func<long> AvailableMemory { get; set; } = () => GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;

    private string Describe() => Name.Length > 0 ? $"'{Name}'" : "(unnamed)";

    public override string ToString() => $"Blob {Describe()} {ShapeString}";
}
