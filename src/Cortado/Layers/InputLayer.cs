using Cortado.Proto;
using Cortado.Tensors;

namespace Cortado.Layers;

/// <summary>Tops whose values the caller sets (deploy nets, the C# API); shapes from input_param, one for all or one per top.</summary>
[LayerType("Input")]
public sealed class InputLayer(LayerParameter param, LayerContext context) : Layer(param, context)
{
    public override string Type => "Input";
    /// <summary>Host by nature: filled by the caller, on the host.</summary>
    public override bool RunsOnHost => true;
    public override int ExactNumBottomBlobs => 0;
    public override int MinTopBlobs => 1;

    protected override void LayerSetUp(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top)
    {
        var shapes = Param.InputParam?.Shape;
        if (shapes == null || shapes.Count == 0) return;
        if (shapes.Count != 1 && shapes.Count != top.Count)
            throw Error($"gives {shapes.Count} shapes for {top.Count} tops; give one shape, or one per top");
        for (int i = 0; i < top.Count; i++) top[i].Reshape(shapes[shapes.Count == 1 ? 0 : i]);
    }

    public override void Reshape(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top) { }
    protected override void ForwardCpu(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top) { }
    protected override void BackwardCpu(IReadOnlyList<Blob> top, IReadOnlyList<bool> propagateDown, IReadOnlyList<Blob> bottom) { }
}
