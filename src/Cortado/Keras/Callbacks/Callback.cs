namespace Cortado.Keras.Callbacks;

/// <summary>What a callback sees of a running Fit: the model, the optimizer's current learning rate (settable) and the stop flag.</summary>
public sealed class TrainingState(Func<double> getRate, Action<double> setRate, KerasModel? model = null)
{
    /// <summary>The model being trained (Keras's callback.model).</summary>
    public KerasModel Model => model ?? throw new Errors.CortadoException("this training state has no model");

    public double LearningRate { get => getRate(); set => setRate(value); }
    /// <summary>Set to end Fit after this epoch (Keras's model.stop_training).</summary>
    public bool StopTraining { get; set; }
}

/// <summary>
/// Keras's callback: hooks Fit calls at the start and end of each epoch (counted from 0, as Keras
/// counts them), with that epoch's logs (loss, acc and, with validation, val_loss and val_acc).
/// </summary>
public abstract class Callback
{
    public virtual void OnTrainBegin(TrainingState state) { }
    public virtual void OnEpochBegin(int epoch, TrainingState state) { }
    public virtual void OnEpochEnd(int epoch, IReadOnlyDictionary<string, double> logs, TrainingState state) { }
    public virtual void OnTrainEnd(TrainingState state) { }

    /// <summary>The monitored quantity, or a clear error naming what the logs hold (Keras warns and skips; a silent skip hides a typo).</summary>
    protected static double Monitored(IReadOnlyDictionary<string, double> logs, string monitor, string callback) =>
        logs.TryGetValue(monitor, out double value) ? value
            : throw new Errors.CortadoException($"{callback}: monitor '{monitor}' is not in the epoch's logs ({string.Join(", ", logs.Keys)}); give validation data for val_ quantities");

    /// <summary>Keras's mode 'auto': accuracy-like quantities are maximised, the rest minimised.</summary>
    protected static bool Maximises(string mode, string monitor, string callback) => mode switch
    {
        "min" => false,
        "max" => true,
        "auto" => monitor.Contains("acc", StringComparison.Ordinal),
        _ => throw new Errors.CortadoException($"{callback}: mode '{mode}' is not one Keras knows (auto, min, max)"),
    };
}
