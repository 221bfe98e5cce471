using Cortado.Errors;

namespace Cortado.Solvers;

/// <summary>The loss became NaN or infinite; training stopped without snapshotting the broken weights.</summary>
public sealed class TrainingDivergedException(int iteration, float loss, string? layer, string? lastSnapshot)
    : CortadoException($"iteration {iteration}: the loss is {Logging.CppFormat.G(loss)}; " +
        (layer != null ? $"the first non-finite values came out of layer {layer}. " : "") +
        "Training stopped" + (lastSnapshot != null ? $"; the last good snapshot is {lastSnapshot}" : "; no snapshot was written") +
        ". Lower base_lr, scale the inputs (transform_param { scale: 0.00390625 }) or set clip_gradients.")
{
    public int Iteration { get; } = iteration;
    public float Loss { get; } = loss;
    /// <summary>The first layer whose outputs were not finite, as "'name' (Type)"; null when none was found.</summary>
    public string? Layer { get; } = layer;
}
