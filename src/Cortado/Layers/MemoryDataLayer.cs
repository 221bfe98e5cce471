using Cortado.Proto;
using Cortado.Tensors;

namespace Cortado.Layers;

/// <summary>
/// Batches from arrays the program hands over with <see cref="Reset"/> (the C# API's feed):
/// batch_size samples of channels x height x width per forward pass, and their labels, going
/// round the arrays. The sample count must be a multiple of batch_size, as in Caffe.
/// </summary>
[LayerType("MemoryData")]
public sealed class MemoryDataLayer(LayerParameter param, LayerContext context) : Layer(param, context)
{
    public override string Type => "MemoryData";
    /// <summary>Host by nature: arrays handed in by the caller, on the host.</summary>
    public override bool RunsOnHost => true;
    public override int ExactNumBottomBlobs => 0;
    public override int MinTopBlobs => 1;
    public override int MaxTopBlobs => 2;
    private float[] _data = [], _labels = [];
    private int _count, _position, _batch, _size;

    protected override void LayerSetUp(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top)
    {
        var p = Param.MemoryDataParam ?? throw Error("needs memory_data_param with batch_size, channels, height and width");
        if (p.BatchSize == 0 || p.Channels == 0 || p.Height == 0 || p.Width == 0) throw Error("memory_data_param needs positive batch_size, channels, height and width");
        _batch = (int)p.BatchSize;
        _size = (int)(p.Channels * p.Height * p.Width);
        Reshape(bottom, top);
    }

    /// <summary>Hands over <paramref name="count"/> samples (C x H x W each) and their labels.</summary>
    public void Reset(float[] data, float[] labels, int count)
    {
        if (count % _batch != 0) throw Error($"{count} samples are not a multiple of batch_size {_batch}");
        if (data.Length < (long)count * _size || labels.Length < count)
            throw Error($"{count} samples need {(long)count * _size} values and {count} labels, got {data.Length} and {labels.Length}");
        (_data, _labels, _count, _position) = (data, labels, count, 0);
    }

    public override void Reshape(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top)
    {
        var p = Param.MemoryDataParam;
        top[0].Reshape(_batch, (int)p.Channels, (int)p.Height, (int)p.Width);
        if (top.Count > 1) top[1].Reshape(_batch);
    }

    protected override void ForwardCpu(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top)
    {
        if (_count == 0) throw Error("has no data; call Reset with the samples first");
        _data.AsSpan(_position * _size, _batch * _size).CopyTo(top[0].Data);
        if (top.Count > 1) _labels.AsSpan(_position, _batch).CopyTo(top[1].Data);
        _position = (_position + _batch) % _count;
    }

    protected override void BackwardCpu(IReadOnlyList<Blob> top, IReadOnlyList<bool> propagateDown, IReadOnlyList<Blob> bottom) { }
}
