using Cortado.Proto;
using Cortado.Tensors;
using Mode = Cortado.Proto.LossParameter.Types.NormalizationMode;

namespace Cortado.Layers;

/// <summary>
/// Base of loss layers: a scalar first top with a default loss weight of 1, no forced
/// backward into the labels, and Caffe's normalisation of the summed loss.
/// </summary>
public abstract class LossLayer(LayerParameter param, LayerContext context) : Layer(param, context)
{
    public override int ExactNumBottomBlobs => 2;
    public override int MinTopBlobs => 1;
    public override bool AllowForceBackward(int bottomIndex) => bottomIndex != 1;
    protected override float DefaultLossWeight(int topIndex) => topIndex == 0 ? 1f : 0f;

    public override void Reshape(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top)
    {
        if (bottom[0].Shape[0] != bottom[1].Shape[0])
            throw Error($"the batch sizes of the prediction ({bottom[0].ShapeString}) and the label ({bottom[1].ShapeString}) differ");
        top[0].Reshape(Array.Empty<int>());
    }

    /// <summary>The normalisation mode in force: normalization, else the legacy normalize flag, else the layer's default.</summary>
    protected Mode NormalizationMode(Mode fallback)
    {
        var p = Param.LossParam;
        if (p == null) return fallback;
        if (p.HasNormalization) return p.Normalization;
        if (p.HasNormalize) return p.Normalize ? Mode.Valid : Mode.BatchSize;
        return fallback;
    }

    /// <summary>Caffe's divisor for the summed loss, never below 1.</summary>
    protected static float Normalizer(Mode mode, int outer, int inner, int validCount) => Math.Max(1f, mode switch
    {
        Mode.Full => outer * inner,
        Mode.Valid => validCount < 0 ? outer * inner : validCount,
        Mode.BatchSize => outer,
        _ => 1f,
    });
}
