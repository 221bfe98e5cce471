namespace Cortado.Keras.Callbacks;

/// <summary>
/// Keras's EarlyStopping (monitor 'val_loss', min_delta 0, patience 0, mode 'auto'): stops Fit once
/// the monitored quantity has not improved by more than min_delta for <c>patience</c> epochs in a row.
/// </summary>
public sealed class EarlyStopping(string monitor = "val_loss", double minDelta = 0, int patience = 0, string mode = "auto") : Callback
{
    private double _best;
    private int _wait;
    private bool _maximise;

    /// <summary>The epoch (from 0) after which training stopped, or -1.</summary>
    public int StoppedEpoch { get; private set; } = -1;

    public override void OnTrainBegin(TrainingState state)
    {
        _maximise = Maximises(mode, monitor, nameof(EarlyStopping));
        _best = _maximise ? double.NegativeInfinity : double.PositiveInfinity;
        _wait = 0;
        StoppedEpoch = -1;
    }

    public override void OnEpochEnd(int epoch, IReadOnlyDictionary<string, double> logs, TrainingState state)
    {
        double current = Monitored(logs, monitor, nameof(EarlyStopping));
        bool improved = _maximise ? current - Math.Abs(minDelta) > _best : current + Math.Abs(minDelta) < _best;
        if (improved)
        {
            _best = current;
            _wait = 0;
            return;
        }
        if (++_wait >= patience)
        {
            StoppedEpoch = epoch;
            state.StopTraining = true;
        }
    }
}
