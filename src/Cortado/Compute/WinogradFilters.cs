namespace Cortado.Compute;

/// <summary>
/// One layer's Winograd filters (<see cref="Winograd.TransformFilters"/>), transformed again
/// only when the weights or the shape change. Inference calls with the same weights every time.
/// Weights held in a blob are known unchanged while their memory has handed out no view for
/// writing since (<see cref="DeviceBuffer{T}.Writes"/>); other weights are compared with the
/// copy kept. The comparison costs less than transforming them (1 against 6 us for the seed net's
/// conv2 with the weights in cache), but at batch 1 the weights are not in cache: the fully
/// connected layer's weights went through it since, and comparing took 5% of the net's forward.
/// </summary>
internal sealed class WinogradFilters
{
    private float[] _filters = [], _weights = [];
    private ConvolutionShape _shape;
    private DeviceBuffer<float>? _source;
    private int _sourceOffset;
    private long _sourceWrites;

    /// <param name="source">Where <paramref name="weights"/> are held, when in a blob's memory.</param>
    public float[] For(in ConvolutionShape s, ReadOnlySpan<float> weights, DeviceSpan<float> source = default)
    {
        var shape = s with { Num = 0 };
        int length = Winograd.FilterLength(s);
        bool sameShape = _filters.Length == length && _shape == shape && _weights.Length == weights.Length;
        bool unwritten = source.Buffer is { WritesCounted: true } buffer && ReferenceEquals(buffer, _source)
            && source.Offset == _sourceOffset && buffer.Writes == _sourceWrites;
        if (!sameShape || !(unwritten || weights.SequenceEqual(_weights)))
        {
            if (_filters.Length != length) _filters = new float[length];
            Winograd.TransformFilters(s, weights, _filters);
            if (_weights.Length != weights.Length) _weights = new float[weights.Length];
            weights.CopyTo(_weights);
            _shape = shape;
        }
        _source = source.Buffer;
        _sourceOffset = source.Offset;
        _sourceWrites = source.Buffer?.Writes ?? 0;
        return _filters;
    }
}
