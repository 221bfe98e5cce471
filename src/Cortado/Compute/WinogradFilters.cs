namespace Cortado.Compute;

/// <summary>
/// One layer's Winograd filters (<see cref="Winograd.TransformFilters"/>), transformed again
/// only when the weights or the shape change. Inference calls with the same weights every time,
/// and comparing them (1 us for the seed net's conv2) costs less than transforming them (6 us).
/// </summary>
internal sealed class WinogradFilters
{
    private float[] _filters = [], _weights = [];
    private ConvolutionShape _shape;

    public float[] For(in ConvolutionShape s, ReadOnlySpan<float> weights)
    {
        var shape = s with { Num = 0 };
        int length = Winograd.FilterLength(s);
        if (_filters.Length == length && _shape == shape && weights.SequenceEqual(_weights)) return _filters;
        if (_filters.Length != length) _filters = new float[length];
        Winograd.TransformFilters(s, weights, _filters);
        if (_weights.Length != weights.Length) _weights = new float[weights.Length];
        weights.CopyTo(_weights);
        _shape = shape;
        return _filters;
    }
}
