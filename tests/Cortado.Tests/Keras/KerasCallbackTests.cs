using Cortado.Keras;
using Cortado.Keras.Callbacks;

namespace Cortado.Tests.Keras;

/// <summary>
/// Keras's callbacks: EarlyStopping's and ReduceLROnPlateau's counting checked epoch by epoch
/// against Keras's rules on scripted logs, then EarlyStopping, LearningRateScheduler and
/// CSVLogger through a real Fit.
/// </summary>
public class KerasCallbackTests
{
    private static TrainingState State(double rate = 1.0)
    {
        double current = rate;
        return new TrainingState(() => current, r => current = r);
    }

    private static Dictionary<string, double> Logs(double valLoss) => new() { ["loss"] = 1, ["acc"] = 0.5, ["val_loss"] = valLoss, ["val_acc"] = 0.5 };

    [Fact]
    public void EarlyStoppingStopsAfterPatienceEpochsWithoutImprovement()
    {
        var stop = new EarlyStopping(patience: 2);
        var state = State();
        stop.OnTrainBegin(state);
        double[] losses = [1.0, 0.9, 0.95, 0.92, 0.85];
        int epoch = 0;
        for (; epoch < losses.Length && !state.StopTraining; epoch++) stop.OnEpochEnd(epoch, Logs(losses[epoch]), state);
        Assert.Equal(3, stop.StoppedEpoch); // 0.9 at epoch 1 is the best; epochs 2 and 3 do not beat it
        var strict = new EarlyStopping(minDelta: 0.06, patience: 1);
        var strictState = State();
        strict.OnTrainBegin(strictState);
        strict.OnEpochEnd(0, Logs(1.0), strictState);
        strict.OnEpochEnd(1, Logs(0.95), strictState); // 0.05 better: less than min_delta, no improvement
        Assert.True(strictState.StopTraining);
        Assert.Throws<Cortado.Errors.CortadoException>(() => new EarlyStopping(monitor: "val_accuracy").OnEpochEnd(0, Logs(1), State()));
    }

    [Fact]
    public void ReduceLROnPlateauCutsTheRateAndCoolsDown()
    {
        var reduce = new ReduceLROnPlateau(factor: 0.5, patience: 1, cooldown: 1);
        var state = State(1.0);
        reduce.OnTrainBegin(state);
        var rates = new List<double>();
        foreach (double loss in new[] { 1, 1, 1, 0.5, 0.5 })
        {
            reduce.OnEpochEnd(rates.Count, Logs(loss), state);
            rates.Add(state.LearningRate);
        }
        Assert.Equal([1, 0.5, 0.5, 0.5, 0.25], rates);
    }

    /// <summary>Records the rate Fit runs each epoch at.</summary>
    private sealed class RateProbe : Callback
    {
        public List<double> Rates { get; } = [];
        public override void OnEpochBegin(int epoch, TrainingState state) => Rates.Add(state.LearningRate);
    }

    [Fact]
    public void CallbacksRunInsideFit()
    {
        var random = new Random(5);
        var x = new float[200 * 4];
        var y = new int[200];
        for (int n = 0; n < 200; n++)
        {
            y[n] = n % 2;
            for (int f = 0; f < 4; f++) x[n * 4 + f] = (float)random.NextDouble() + (f == y[n] ? 1 : 0);
        }
        var model = new Sequential(new Dense(8) { InputShape = [4], Activation = "relu" }, new Dense(2) { Activation = "softmax" });
        model.Compile("sparse_categorical_crossentropy", new SGD(0.08), "accuracy");
        using var dir = new TempDir();
        var probe = new RateProbe();
        var history = model.Fit(x, y, batchSize: 20, epochs: 6, validationSplit: 0.2, output: TextWriter.Null, callbacks:
        [
            // The probe after the scheduler sees the rate each epoch runs at.
            new LearningRateScheduler((epoch, rate) => epoch < 2 ? rate : rate / 2),
            probe,
            new CSVLogger(dir.File("log.csv")),
            // An improvement must exceed 10: none after the first epoch, so Fit ends after epoch 2 of 6.
            new EarlyStopping(monitor: "val_loss", minDelta: 10, patience: 2),
        ]);
        Assert.Equal(3, history["loss"].Count);
        Assert.Equal([0.08, 0.08, 0.04], probe.Rates.Select(r => Math.Round(r, 6)));
        var lines = File.ReadAllLines(dir.File("log.csv"));
        Assert.Equal("epoch,acc,loss,val_acc,val_loss", lines[0]);
        Assert.Equal(4, lines.Length);
        Assert.StartsWith("2,", lines[3]);
        Assert.Equal(history["val_loss"][2], double.Parse(lines[3].Split(',')[4], System.Globalization.CultureInfo.InvariantCulture), 12);
    }
}
