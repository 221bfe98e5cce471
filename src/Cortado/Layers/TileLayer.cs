using Cortado.Compute;
using Cortado.Proto;
using Cortado.Tensors;

namespace Cortado.Layers;

/// <summary>
/// Repeats the block from <c>axis</c> on <c>tiles</c> times along that axis (a 2 x 3 bottom tiled 2 on
/// axis 1 is 2 x 6, each row its values twice). Backward sums the copies' gradients.
/// </summary>
[LayerType("Tile")]
public sealed class TileLayer(LayerParameter param, LayerContext context) : Layer(param, context)
{
    public override string Type => "Tile";
    public override int ExactNumBottomBlobs => 1;
    public override int ExactNumTopBlobs => 1;
    private readonly Blob _copy = new();
    private int _outer, _inner, _tiles;

    public override void Reshape(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top)
    {
        var p = Param.TileParam ?? new TileParameter();
        if (!p.HasTiles || p.Tiles < 1) throw Error($"tile_param.tiles must be at least 1, got {(p.HasTiles ? p.Tiles : 0)}");
        int axis = bottom[0].CanonicalAxis(p.Axis);
        _tiles = p.Tiles;
        (_outer, _inner) = (bottom[0].CountRange(0, axis), bottom[0].CountFrom(axis));
        var shape = bottom[0].Shape.ToArray();
        shape[axis] *= _tiles;
        top[0].Reshape(shape);
        _copy.ReshapeLike(bottom[0]);
    }

    protected override void ForwardCpu(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top)
    {
        var x = ReadData(bottom[0]);
        var y = WriteData(top[0]);
        for (int t = 0; t < _tiles; t++) Backend.CopyRows(x, _inner, y.Slice(t * _inner), _tiles * _inner, _outer, _inner);
    }

    protected override void BackwardCpu(IReadOnlyList<Blob> top, IReadOnlyList<bool> propagateDown, IReadOnlyList<Blob> bottom)
    {
        if (!propagateDown[0]) return;
        var dy = ReadDiff(top[0]);
        var dx = WriteDiff(bottom[0]);
        Backend.CopyRows(dy, _tiles * _inner, dx, _inner, _outer, _inner);
        for (int t = 1; t < _tiles; t++)
        {
            Backend.CopyRows(dy.Slice(t * _inner), _tiles * _inner, WriteData(_copy), _inner, _outer, _inner);
            Backend.Add(dx, ReadData(_copy), dx);
        }
    }
}
