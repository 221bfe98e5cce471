using Cortado.Proto;
using Cortado.Tensors;

namespace Cortado.Layers;

/// <summary>
/// A learned blob as a layer's output (Caffe's Parameter layer): its top shares the parameter's data
/// and diff, so whatever reads the top trains the parameter. Values start at zero; a .caffemodel fills them.
/// </summary>
[LayerType("Parameter")]
public sealed class ParameterLayer(LayerParameter param, LayerContext context) : Layer(param, context)
{
    public override string Type => "Parameter";
    public override int ExactNumBottomBlobs => 0;
    public override int ExactNumTopBlobs => 1;

    protected override void LayerSetUp(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top)
    {
        var shape = Param.ParameterParam?.Shape ?? throw Error("parameter_param.shape is required");
        AddParameter("value", Shapes.FromDims(shape.Dim, $"layer '{Name}' parameter_param.shape"));
    }

    public override void Reshape(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top)
    {
        top[0].ReshapeLike(Blobs[0]);
        top[0].ShareData(Blobs[0]);
        top[0].ShareDiff(Blobs[0]);
    }

    protected override void ForwardCpu(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top) { }

    protected override void BackwardCpu(IReadOnlyList<Blob> top, IReadOnlyList<bool> propagateDown, IReadOnlyList<Blob> bottom) { }
}
