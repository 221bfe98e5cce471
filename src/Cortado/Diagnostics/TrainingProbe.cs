using Cortado.Solvers;
using static Cortado.Logging.CppFormat;

namespace Cortado.Diagnostics;

/// <summary>
/// A short training run with monitors on the solver's hooks: the loss against chance, non-finite
/// values and where they first appear, the classes predicted, ReLU units that never fire, and
/// per layer the scale of activations, gradients and updates relative to the weights.
/// </summary>
public static class TrainingProbe
{
    public static List<Finding> Run(Solver solver, int iterations, int classes, ProbeTrace? trace = null)
    {
        var net = solver.Net;
        var findings = new List<Finding>();
        var losses = new List<float>();
        var reluLayers = net.Layers.Select((l, i) => (l, i)).Where(p => p.l.Type == "ReLU").ToList();
        var everPositive = reluLayers.ToDictionary(p => p.i, p => new bool[net.Tops[p.i][0].CountFrom(1)]);
        int lossLayer = net.Layers.ToList().FindIndex(l => l.Type == "SoftmaxWithLoss");
        var predicted = new int[Math.Max(classes, 1)];
        var learnable = net.Layers.Select((l, i) => (l, i)).Where(p => p.l.Type is "Convolution" or "InnerProduct").ToList();
        var activation = learnable.ToDictionary(p => p.l.Name, _ => 0.0);
        var gradient = learnable.ToDictionary(p => p.l.Name, _ => 0.0);
        var ratios = learnable.ToDictionary(p => p.l.Name, _ => new List<double>());
        int lateFrom = iterations - Math.Max(1, iterations / 4);

        solver.AfterBackward += (iter, loss) =>
        {
            losses.Add(loss);
            foreach (var (layer, index) in reluLayers)
            {
                BlobStatistics.MarkPositive(net.Tops[index][0].Data, everPositive[index]);
            }
            foreach (var (layer, index) in learnable)
            {
                activation[layer.Name] = BlobStatistics.Rms(net.Tops[index][0].Data);
                gradient[layer.Name] = BlobStatistics.Rms(layer.Blobs[0].Diff);
                trace?.Add(trace.ActivationRms, layer.Name, activation[layer.Name]);
                trace?.Add(trace.GradientRms, layer.Name, gradient[layer.Name]);
            }
            trace?.Losses.Add(loss);
            if (trace != null && lossLayer >= 0) trace.BatchAccuracy.Add(BlobStatistics.Accuracy(net.Bottoms[lossLayer][0], net.Bottoms[lossLayer][1]));
            if (lossLayer >= 0 && iter - solver.Iter + losses.Count > lateFrom && classes > 0)
                BlobStatistics.CountPredictions(net.Bottoms[lossLayer][0], predicted);
        };
        solver.IterationDone += (_, _, _, _) =>
        {
            foreach (var (layer, _) in learnable)
            {
                double weight = BlobStatistics.Rms(layer.Blobs[0].Data);
                if (weight > 0) ratios[layer.Name].Add(BlobStatistics.Rms(layer.Blobs[0].Diff) / weight); // the diff now holds the step taken
            }
        };

        try { solver.Step(iterations); }
        catch (TrainingDivergedException e)
        {
            findings.Add(new Finding(Severity.Error, "LOSS_NOT_FINITE", "The loss became NaN or infinite", e.Message,
                "Once a value overflows, every later computation is NaN. In Caffe this often shows as a loss of nan while the Accuracy layer reports 1.0, because no comparison with NaN is true.",
                "scale the inputs, lower base_lr, or set clip_gradients: 10", Rank: 3));
        }
        catch (Errors.CortadoException e)
        {
            findings.Add(new Finding(Severity.Error, "PROBE_FAILED", "Training stopped with an error", e.Message,
                "The probe run could not go on; the message says where.", Rank: 1));
        }

        var late = losses.Skip(losses.Count * 3 / 4).Where(float.IsFinite).ToList();
        if (late.Count > 0)
        {
            var (stuck, _, mean, spread, drop) = ChanceTest.Judge(late, classes);
            if (mean > 80)
                findings.Add(new Finding(Severity.Error, "LOSS_SATURATED", "The loss is pinned near 87.3365: Caffe's saturated softmax",
                    $"mean loss over the last {late.Count} probe iterations: {G(mean)}", "SoftmaxWithLoss clamps a probability of 0 at FLT_MIN, so a confidently wrong prediction costs -ln(FLT_MIN) = 87.3365 per sample: the logits are enormous.", "scale the inputs and lower base_lr", Rank: 4));
            // Stuck, not merely early: near chance and flat (a constant output scores ln(classes) on every batch).
            if (stuck)
                findings.Add(ChanceTest.Finding(classes,
                    $"mean loss over the last {late.Count} of {losses.Count} probe iterations: {G(mean)} (spread {G(spread)}, change {G(-drop)}); first: {G(losses[0])}",
                    "see the causes above and below: input scale, dead units, learning rate",
                    "The usual cause is activations driven out of range early on (dead ReLUs, saturated softmax) so that no gradient reaches the weights."));
        }
        int total = predicted.Sum();
        if (total > 0 && predicted.Max() >= 0.95 * total && classes > 1)
            findings.Add(new Finding(Severity.Error, "ONE_CLASS", $"The net predicts one class for everything",
                $"{predicted.Max() * 100.0 / total:F0}% of {total} probe predictions are class {Array.IndexOf(predicted, predicted.Max())}",
                "A constant prediction means the last layers ignore their input: look for dead ReLUs or a saturated first layer.", Rank: 6));
        foreach (var (layer, index) in reluLayers)
        {
            var seen = everPositive[index];
            double dead = seen.Count(s => !s) / (double)seen.Length;
            if (dead > 0.5)
                findings.Add(new Finding(Severity.Warning, "DEAD_RELU", $"Most units after '{layer.Name}' never fire",
                    $"{layer.Name}: {dead * 100:F0}% of {seen.Length} units were never positive in {losses.Count} probe iterations",
                    "A ReLU that is never positive passes no gradient, so the weights before it stop learning. Large inputs or a large learning rate push units there in the first steps.",
                    "scale the inputs; lower base_lr", Rank: 15));
        }
        foreach (var (layer, _) in learnable)
        {
            var r = ratios[layer.Name].Where(double.IsFinite).OrderBy(v => v).ToList();
            if (r.Count == 0) continue;
            double median = r[r.Count / 2];
            if (median > 0.1)
                findings.Add(new Finding(Severity.Warning, "LARGE_UPDATES", $"'{layer.Name}' changes by {median * 100:F0}% of its weights each step",
                    $"{layer.Name}: median |update| / |weights| = {G(median)} over the probe", "Healthy training moves weights by about 0.1% (1e-3) per step; much more overshoots.", "lower base_lr (or lr_mult of this layer)", Rank: 25));
            else if (median < 1e-7 && median >= 0)
                findings.Add(new Finding(Severity.Warning, "TINY_UPDATES", $"'{layer.Name}' barely changes",
                    $"{layer.Name}: median |update| / |weights| = {G(median)} over the probe", "Updates this small mean the layer is not learning: no gradient reaches it, or its rate is tiny.", "check dead units below it, lr_mult, and base_lr", Rank: 25));
        }
        findings.Add(new Finding(Severity.Info, "LAYER_SCALES", "Activation, gradient and update scales per layer",
            string.Join("; ", learnable.Select(p => $"{p.l.Name}: activation rms {G(activation[p.l.Name])}, weight gradient rms {G(gradient[p.l.Name])}, update/weight {(ratios[p.l.Name].Count > 0 ? G(ratios[p.l.Name].OrderBy(v => v).ElementAt(ratios[p.l.Name].Count / 2)) : "n/a")}")),
            "Measured over the probe, at its last iteration for activations and gradients.", Rank: 70));
        return findings;
    }
}
