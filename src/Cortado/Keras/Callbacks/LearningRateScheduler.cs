namespace Cortado.Keras.Callbacks;

/// <summary>Keras's LearningRateScheduler: at the start of each epoch the rate becomes schedule(epoch, current rate).</summary>
public sealed class LearningRateScheduler(Func<int, double, double> schedule) : Callback
{
    public override void OnEpochBegin(int epoch, TrainingState state)
    {
        double rate = schedule(epoch, state.LearningRate);
        if (!double.IsFinite(rate)) throw new Errors.CortadoException($"{nameof(LearningRateScheduler)}: the schedule gave {rate} for epoch {epoch}");
        state.LearningRate = rate;
    }
}
