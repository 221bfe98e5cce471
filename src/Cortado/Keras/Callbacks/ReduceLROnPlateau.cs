namespace Cortado.Keras.Callbacks;

/// <summary>
/// Keras's ReduceLROnPlateau (monitor 'val_loss', factor 0.1, patience 10, mode 'auto', min_delta
/// 1e-4, cooldown 0, min_lr 0): multiplies the learning rate by <c>factor</c> (not below min_lr)
/// when the monitored quantity has not improved by min_delta for <c>patience</c> epochs, then waits
/// <c>cooldown</c> epochs before counting again.
/// </summary>
public sealed class ReduceLROnPlateau(string monitor = "val_loss", double factor = 0.1, int patience = 10, string mode = "auto",
    double minDelta = 1e-4, int cooldown = 0, double minLr = 0) : Callback
{
    private double _best;
    private int _wait, _cooldownLeft;
    private bool _maximise;

    public override void OnTrainBegin(TrainingState state)
    {
        if (!(factor < 1.0)) throw new Errors.CortadoException($"{nameof(ReduceLROnPlateau)}: factor must be below 1, got {factor}");
        _maximise = Maximises(mode, monitor, nameof(ReduceLROnPlateau));
        _best = _maximise ? double.NegativeInfinity : double.PositiveInfinity;
        (_wait, _cooldownLeft) = (0, 0);
    }

    public override void OnEpochEnd(int epoch, IReadOnlyDictionary<string, double> logs, TrainingState state)
    {
        double current = Monitored(logs, monitor, nameof(ReduceLROnPlateau));
        bool cooling = _cooldownLeft > 0;
        if (cooling)
        {
            _cooldownLeft--;
            _wait = 0;
        }
        if (_maximise ? current > _best + minDelta : current < _best - minDelta)
        {
            _best = current;
            _wait = 0;
        }
        else if (!cooling && ++_wait >= patience)
        {
            if (state.LearningRate > minLr) state.LearningRate = Math.Max(state.LearningRate * factor, minLr);
            _cooldownLeft = cooldown;
            _wait = 0;
        }
    }
}
