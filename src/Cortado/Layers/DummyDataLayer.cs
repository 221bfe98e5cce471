using Cortado.Fillers;
using Cortado.Proto;
using Cortado.Tensors;

namespace Cortado.Layers;

/// <summary>
/// Tops of given shapes filled by fillers (constant 0 when none): a constant filler fills once,
/// any other refills on every forward pass, as in Caffe.
/// </summary>
[LayerType("DummyData")]
public sealed class DummyDataLayer(LayerParameter param, LayerContext context) : Layer(param, context)
{
    public override string Type => "DummyData";
    /// <summary>Host by nature: filled by the host fillers.</summary>
    public override bool RunsOnHost => true;
    public override int ExactNumBottomBlobs => 0;
    public override int MinTopBlobs => 1;
    private readonly List<FillerParameter> _fillers = [];
    private readonly List<bool> _refill = [];

    protected override void LayerSetUp(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top)
    {
        var p = Param.DummyDataParam ?? new DummyDataParameter();
        int shapes = p.Shape.Count > 0 ? p.Shape.Count : p.Num.Count;
        if (shapes != 1 && shapes != top.Count) throw Error($"gives {shapes} shapes for {top.Count} tops; give one, or one per top");
        if (p.DataFiller.Count > 1 && p.DataFiller.Count != top.Count) throw Error($"gives {p.DataFiller.Count} fillers for {top.Count} tops");
        for (int i = 0; i < top.Count; i++)
        {
            int s = shapes == 1 ? 0 : i;
            if (p.Shape.Count > 0) top[i].Reshape(p.Shape[s]);
            else top[i].Reshape((int)p.Num[s], (int)p.Channels[s], (int)p.Height[s], (int)p.Width[s]);
            var filler = p.DataFiller.Count == 0 ? new FillerParameter() : p.DataFiller[p.DataFiller.Count == 1 ? 0 : i];
            _fillers.Add(filler);
            _refill.Add(filler.Type != "constant");
            Filler.Fill(filler, top[i], Context.Random);
        }
    }

    public override void Reshape(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top) { }

    protected override void ForwardCpu(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top)
    {
        for (int i = 0; i < top.Count; i++)
            if (_refill[i]) Filler.Fill(_fillers[i], top[i], Context.Random);
    }

    protected override void BackwardCpu(IReadOnlyList<Blob> top, IReadOnlyList<bool> propagateDown, IReadOnlyList<Blob> bottom) { }
}
