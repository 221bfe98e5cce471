using Cortado.Errors;
using Cortado.Proto;

namespace Cortado.Keras;

/// <summary>The kinds of Keras loss, by what they compare: class labels, or target values of the output's shape.</summary>
internal enum LossKind { CrossEntropy, BinaryCrossEntropy, SquaredError, AbsoluteError, Hinge }

/// <summary>The blobs an output's loss reads: its labels or targets, and for a weighted Fit the sample weights and one-hot labels.</summary>
internal sealed record LossBlobs(string Prefix, string Target, string? Weight, string? OneHot);

/// <summary>
/// Keras's losses as Caffe layers on one model output, each with Keras's normalization:
/// <list type="bullet">
/// <item>categorical and sparse_categorical_crossentropy: SoftmaxWithLoss on the logits; with sample or
/// class weights, Keras's own arithmetic: softmax, clipped to [1e-7, 1 - 1e-7], log, the label's term,
/// times the weight, summed over the batch and divided by its size (tf.keras's SUM_OVER_BATCH_SIZE);</item>
/// <item>binary_crossentropy: SigmoidCrossEntropyLoss on the logits, normalized over all N x D values as
/// Keras's mean over the last axis and the batch;</item>
/// <item>mse: EuclideanLoss (sum / 2N) with loss_weight 2 / D, Keras's mean over N x D;</item>
/// <item>mae: the difference, AbsVal and a Reduction MEAN (Caffe has no L1 loss);</item>
/// <item>hinge with class labels: Caffe's HingeLoss, which sums max(0, 1 - t x) over the classes with t = +-1
/// from the label, with loss_weight 1 / D for Keras's mean over the classes.</item>
/// </list>
/// </summary>
internal static class KerasLoss
{
    public static readonly string[] Names = ["categorical_crossentropy", "sparse_categorical_crossentropy", "binary_crossentropy", "mse", "mean_squared_error", "mae", "mean_absolute_error", "hinge"];

    public static LossKind Kind(string loss) => loss switch
    {
        "categorical_crossentropy" or "sparse_categorical_crossentropy" => LossKind.CrossEntropy,
        "binary_crossentropy" => LossKind.BinaryCrossEntropy,
        "mse" or "mean_squared_error" => LossKind.SquaredError,
        "mae" or "mean_absolute_error" => LossKind.AbsoluteError,
        "hinge" => LossKind.Hinge,
        _ => throw new CortadoException($"loss '{loss}' is not supported; use one of {string.Join(", ", Names)}"),
    };

    /// <summary>Whether the loss reads class labels (one per sample) rather than target values.</summary>
    public static bool TakesLabels(LossKind kind) => kind is LossKind.CrossEntropy or LossKind.Hinge;

    /// <summary>The activation Keras's loss expects the output to end in (it reads probabilities), if any.</summary>
    public static string? Activation(LossKind kind) => kind switch
    {
        LossKind.CrossEntropy => "softmax",
        LossKind.BinaryCrossEntropy => "sigmoid",
        _ => null,
    };

    /// <summary>
    /// Adds the loss of an output, and its accuracy and top-k layers where Caffe has them, to <paramref name="losses"/>;
    /// a softmax or sigmoid at the end is taken out of <paramref name="layers"/> to work on the logits. Returns the
    /// blob of the output's predictions (probabilities, in training too when <paramref name="predictionsInTraining"/>).
    /// </summary>
    public static string Add(LossKind kind, string loss, List<LayerParameter> layers, List<LayerParameter> losses, string output, LossBlobs blobs,
        int features, IReadOnlyList<string> topK, int k, bool predictionsInTraining, List<string> notes)
    {
        string prefix = blobs.Prefix, target = blobs.Target;
        var predictions = predictionsInTraining ? Array.Empty<NetStateRule>() : [new NetStateRule { Phase = Phase.Test }];
        LayerParameter Layer(string name, string type, params string[] bottoms)
        {
            var layer = new LayerParameter { Name = prefix + name, Type = type, Top = { prefix + name } };
            layer.Bottom.AddRange(bottoms);
            losses.Add(layer);
            return layer;
        }
        // Each sample's loss (shape N) times its weight, summed over the batch and divided by its size; sign -1 turns a log-likelihood into a loss.
        void Weighted(string perSample, float sign)
        {
            Layer("weighted", "Eltwise", perSample, blobs.Weight!).EltwiseParam = new EltwiseParameter { Operation = EltwiseParameter.Types.EltwiseOp.Prod };
            var mean = Layer("loss", "Reduction", prefix + "weighted");
            mean.ReductionParam = new ReductionParameter { Operation = ReductionParameter.Types.ReductionOp.Mean, Axis = 0, Coeff = sign };
            mean.LossWeight.Add(1);
        }
        void Accuracy(string scores)
        {
            Layer("accuracy", "Accuracy", scores, target);
            foreach (string metric in topK)
            {
                Layer(metric, "Accuracy", scores, target).AccuracyParam = new AccuracyParameter { TopK = (uint)k };
                notes.Add($"metric: {metric} (k = {k}) is Caffe's Accuracy with top_k: {k}; both count ties at the boundary as in the top k");
            }
        }
        switch (kind)
        {
            case LossKind.CrossEntropy:
            {
                string logits = Logits(layers, output, "Softmax");
                if (blobs.Weight == null)
                {
                    Layer("loss", "SoftmaxWithLoss", logits, target);
                    notes.Add($"loss: {loss} on softmax outputs is Caffe's SoftmaxWithLoss on the logits; Keras clips probabilities to [1e-7, 1 - 1e-7] (at most 16.1 per sample), Caffe at FLT_MIN (at most 87.34)");
                }
                else
                {
                    Layer("weighted_softmax", "Softmax", logits);
                    Layer("clipped", "Clip", prefix + "weighted_softmax").ClipParam = new ClipParameter { Min = 1e-7f, Max = 1 - 1e-7f };
                    Layer("log", "Log", prefix + "clipped");
                    Layer("label_log", "Eltwise", prefix + "log", blobs.OneHot!).EltwiseParam = new EltwiseParameter { Operation = EltwiseParameter.Types.EltwiseOp.Prod };
                    Layer("sample_log", "Reduction", prefix + "label_log").ReductionParam = new ReductionParameter { Operation = ReductionParameter.Types.ReductionOp.Sum, Axis = 1 };
                    Weighted(prefix + "sample_log", -1);
                    notes.Add($"loss: {loss} with sample or class weights is Keras's arithmetic: softmax clipped to [1e-7, 1 - 1e-7], log, times the weights, summed and divided by the batch size");
                }
                Accuracy(logits);
                Layer("prob", "Softmax", logits).Include.AddRange(predictions);
                return prefix + "prob";
            }
            case LossKind.BinaryCrossEntropy:
            {
                if (blobs.Weight != null) throw new CortadoException($"loss '{loss}' with sample or class weights is not supported; weights work with the cross-entropies, mse and mae");
                string logits = Logits(layers, output, "Sigmoid");
                Layer("loss", "SigmoidCrossEntropyLoss", logits, target).LossParam = new LossParameter { Normalization = LossParameter.Types.NormalizationMode.Valid };
                notes.Add($"loss: binary_crossentropy on sigmoid outputs is Caffe's SigmoidCrossEntropyLoss on the logits over all N x D values; Keras clips probabilities to [1e-7, 1 - 1e-7], Caffe computes it from the logits unclipped");
                Layer("prob", "Sigmoid", logits).Include.AddRange(predictions);
                return prefix + "prob";
            }
            case LossKind.SquaredError or LossKind.AbsoluteError:
            {
                bool squared = kind == LossKind.SquaredError;
                if (squared && blobs.Weight == null)
                {
                    Layer("loss", "EuclideanLoss", output, target).LossWeight.Add(2f / features);
                    notes.Add($"loss: {loss} is Caffe's EuclideanLoss (sum / 2N) with loss_weight 2 / {features}, Keras's mean over the batch and the {features} values");
                    return output;
                }
                Layer("difference", "Eltwise", output, target).EltwiseParam = new EltwiseParameter { Operation = EltwiseParameter.Types.EltwiseOp.Sum, Coeff = { 1, -1 } };
                if (squared) Layer("error", "Power", prefix + "difference").PowerParam = new PowerParameter { Power = 2 };
                else Layer("error", "AbsVal", prefix + "difference");
                if (blobs.Weight == null)
                {
                    var mean = Layer("loss", "Reduction", prefix + "error");
                    mean.ReductionParam = new ReductionParameter { Operation = ReductionParameter.Types.ReductionOp.Mean, Axis = 0 };
                    mean.LossWeight.Add(1);
                    notes.Add($"loss: {loss} is the difference, AbsVal and a Reduction MEAN over every value (Caffe has no L1 loss layer)");
                }
                else
                {
                    Layer("sample_error", "Reduction", prefix + "error").ReductionParam = new ReductionParameter { Operation = ReductionParameter.Types.ReductionOp.Mean, Axis = 1 };
                    Weighted(prefix + "sample_error", 1);
                    notes.Add($"loss: {loss} with sample weights: each sample's mean error times its weight, summed and divided by the batch size");
                }
                return output;
            }
            case LossKind.Hinge:
            {
                if (blobs.Weight != null) throw new CortadoException("loss 'hinge' with sample or class weights is not supported; weights work with the cross-entropies, mse and mae");
                Layer("loss", "HingeLoss", output, target).LossWeight.Add(1f / features);
                notes.Add($"loss: hinge with class labels is Caffe's HingeLoss (targets +-1 from the label, summed over the {features} classes) with loss_weight 1 / {features}, Keras's mean over them");
                Accuracy(output);
                return output;
            }
            default: throw new ArgumentOutOfRangeException(nameof(kind));
        }
    }

    /// <summary>The logits under the output's final activation, which is taken out so the loss can work on them.</summary>
    private static string Logits(List<LayerParameter> layers, string output, string activation)
    {
        var last = layers.LastOrDefault(l => l.Top.Contains(output));
        if (last?.Type != activation || layers.Any(l => l != last && l.Bottom.Contains(output)))
            throw new CortadoException($"the output '{output}' must end in {activation.ToLowerInvariant()}, which the loss reads, and nothing else may read it");
        layers.Remove(last);
        return last.Bottom[0];
    }
}
