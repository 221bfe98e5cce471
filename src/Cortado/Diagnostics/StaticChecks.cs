using System.Globalization;
using Cortado.Nets;
using Cortado.Proto;
using Cortado.Solvers;
using static Cortado.Logging.CppFormat;

namespace Cortado.Diagnostics;

/// <summary>Checks of net, solver and a sample of the data that need no training.</summary>
public static class StaticChecks
{
    public static List<Finding> Run(SolverParameter solver, NetParameter trainParam, Net train, DataSample data, Net? test)
    {
        var findings = new List<Finding>();
        InputScale(train, data, findings);
        PrototxtChecks(solver, trainParam, train, findings);
        Labels(train, data, findings);
        Length(solver, data, findings);
        TestCoverage(solver, test, findings);
        return findings;
    }

    /// <summary>The checks that read only the net and solver prototxts: what diagnosis can say when the data are missing.</summary>
    public static List<Finding> RunWithoutData(SolverParameter solver, NetParameter trainParam)
    {
        var findings = new List<Finding>();
        PrototxtChecks(solver, trainParam, null, findings);
        return findings;
    }

    private static void PrototxtChecks(SolverParameter solver, NetParameter trainParam, Net? train, List<Finding> findings)
    {
        foreach (var layer in trainParam.Layer)
        {
            if (layer.ConvolutionParam is { } conv && (conv.WeightFiller == null || conv.WeightFiller.Type == "constant" && conv.WeightFiller.Value == 0))
                findings.Add(NoFiller(layer.Name, "convolution_param"));
            if (layer.InnerProductParam is { } ip && (ip.WeightFiller == null || ip.WeightFiller.Type == "constant" && ip.WeightFiller.Value == 0))
                findings.Add(NoFiller(layer.Name, "inner_product_param"));
            if (layer.Type == "BatchNorm" && layer.BatchNormParam is { HasUseGlobalStats: true, UseGlobalStats: true })
                findings.Add(new Finding(Severity.Error, "BN_GLOBAL_STATS_TRAIN", $"BatchNorm '{layer.Name}' uses stored statistics while training",
                    $"{layer.Name}: batch_norm_param {{ use_global_stats: true }} in the TRAIN net",
                    "With use_global_stats the layer normalises with its stored mean and variance, which are never updated in training (they stay 0 and 1 or whatever was loaded), so it does not normalise the batches the net learns from.",
                    "remove use_global_stats (Caffe then uses batch statistics in TRAIN and the stored ones in TEST)"));
        }
        Pooling(trainParam, train, findings);
        SoftmaxBeforeLoss(trainParam, findings);
        Schedule(solver, findings);
    }

    private static Finding NoFiller(string layer, string param) => new(Severity.Error, "NO_WEIGHT_FILLER", $"'{layer}' has no weight filler: its weights start at 0",
        $"{layer}: {param} has no weight_filler (Caffe's default filler is constant 0)",
        "With every weight 0 all units compute the same thing and get the same gradient, so they stay identical; the layer cannot learn distinct features.",
        $"{param} {{ weight_filler {{ type: \"xavier\" }} }}");

    private static void InputScale(Net train, DataSample data, List<Finding> findings)
    {
        int first = -1;
        for (int i = 0; i < train.Layers.Count && first < 0; i++) if (train.Layers[i].Type is "Convolution" or "InnerProduct") first = i;
        if (first < 0 || (data.Max <= 10 && data.Rms <= 10)) return;
        var layer = train.Layers[first];
        string filler = (layer.Param.ConvolutionParam?.WeightFiller ?? layer.Param.InnerProductParam?.WeightFiller)?.Type ?? "constant";
        train.ForwardFromTo(0, first);
        var top = train.Tops[first][0].Data;
        double rms = Math.Sqrt(top.ToArray().Average(v => (double)v * v));
        bool bytes = data.Max <= 255 && data.Min >= 0;
        string scale = bytes ? "0.00390625" : G(1.0 / data.Max);
        findings.Add(new Finding(Severity.Error, "INPUT_SCALE", "The inputs are not scaled: the net sees raw pixel values",
            $"data as fed to '{layer.Name}': min {G(data.Min)}, max {G(data.Max)}, mean {G(data.Mean)}, rms {G(data.Rms)} (no transform_param scale)" +
            $"{(data.Source != null ? $", from {data.Source}" : "")}; '{layer.Name}' ({filler} filler) outputs rms {G(rms)} at initialisation, where about 1 is intended",
            $"Caffe's {filler} filler sizes the weights for inputs of order 1. With raw 0..255 pixels the first layer's outputs, and the logits after them, are about {G(data.Rms)} times too large: " +
            "the softmax saturates, the first SGD steps are huge, and the net either blows up (NaN) or ends with dead ReLUs and a constant output whose loss sits at ln(classes). " +
            "Keras models usually divide the pixels by 255 before training; the Caffe port must do the same.",
            $"in each Data layer: transform_param {{ scale: {scale} }}{(bytes ? "   # 1/256: pixels 0..255 become 0..1" : "")}", Rank: 0));
    }

    /// <summary>Overlapping pooling; with a built net the evidence gives both output sizes, without one only the geometry.</summary>
    private static void Pooling(NetParameter param, Net? train, List<Finding> findings)
    {
        foreach (var layer in param.Layer.Where(l => l.PoolingParam is { GlobalPooling: false }))
        {
            var p = layer.PoolingParam;
            uint kernel = p.HasKernelH ? p.KernelH : p.KernelSize, stride = p.HasStrideH ? p.StrideH : p.Stride;
            if (stride >= kernel || train?.HasBlob(layer.Top[0]) == false) continue;
            string evidence = train == null
                ? $"{layer.Name}: kernel {kernel}, stride {stride}: the output keeps about {kernel / (double)stride * (kernel / (double)stride):0.#} times the positions of a pooling strided by its size, as Keras's MaxPooling2D is (sizes need the data)"
                : PoolingSizes(layer, kernel, stride, param, train);
            findings.Add(new Finding(Severity.Warning, "POOL_OVERLAP", $"Pooling '{layer.Name}' strides {stride} with a {kernel}x{kernel} window (Caffe's default stride is 1)",
                evidence,
                "Caffe's pooling stride defaults to 1 (Keras's to the pool size), so a port that gives only kernel_size keeps almost the whole resolution: the next layer gets several times more inputs and weights than the original model. This is a real difference from the Keras model, though rarely the reason a net does not learn at all.",
                $"pooling_param {{ pool: MAX kernel_size: {kernel} stride: {kernel} round_mode: FLOOR }}", Rank: 20));
        }
    }

    private static string PoolingSizes(LayerParameter layer, uint kernel, uint stride, NetParameter param, Net train)
    {
        var pooled = train.Blob(layer.Top[0]).Shape;
        int features = pooled.Skip(1).Aggregate(1, (a, b) => a * b);
        var variant = param.Clone();
        var changed = variant.Layer.First(l => l.Name == layer.Name).PoolingParam;
        changed.Stride = kernel; changed.ClearStrideH(); changed.ClearStrideW();
        changed.RoundMode = PoolingParameter.Types.RoundMode.Floor;
        string keras;
        try
        {
            using var alternative = new Net(variant, train.State);
            var shape = alternative.Blob(layer.Top[0]).Shape;
            keras = $"{string.Join(" x ", shape.Skip(1))} = {shape.Skip(1).Aggregate(1, (a, b) => a * b)} features";
        }
        catch (Errors.CortadoException) { keras = "a different size"; }
        return $"{layer.Name}: kernel {kernel}, stride {stride}: its output is {string.Join(" x ", pooled.Skip(1))} = {features} features per image; strided by its size and rounded down, as Keras's MaxPooling2D does, it would be {keras}";
    }

    private static void SoftmaxBeforeLoss(NetParameter param, List<Finding> findings)
    {
        var softmaxTops = param.Layer.Where(l => l.Type == "Softmax").ToDictionary(l => l.Top[0], l => l.Name);
        foreach (var loss in param.Layer.Where(l => l.Type == "SoftmaxWithLoss"))
            if (softmaxTops.TryGetValue(loss.Bottom[0], out var softmax))
                findings.Add(new Finding(Severity.Error, "SOFTMAX_BEFORE_LOSS", $"Softmax '{softmax}' feeds SoftmaxWithLoss '{loss.Name}'",
                    $"{loss.Name} reads {loss.Bottom[0]}, the output of Softmax layer {softmax}",
                    "SoftmaxWithLoss applies the softmax itself; a second softmax squeezes the inputs into 0..1, so the loss can barely move from ln(classes) and the gradients vanish.",
                    $"remove layer '{softmax}' from the TRAIN net (keep it only in a deploy net)", Rank: 5));
    }

    private static void Labels(Net train, DataSample data, List<Finding> findings)
    {
        var loss = train.Layers.Select((l, i) => (l, i)).FirstOrDefault(p => p.l.Type == "SoftmaxWithLoss");
        if (loss.l == null) return;
        int classes = train.Bottoms[loss.i][0].Shape[1];
        var counts = data.Database?.LabelCounts;
        int maxLabel = counts != null && counts.Count > 0 ? counts.Keys.Max() : data.Labels.DefaultIfEmpty(0).Max();
        int minLabel = counts != null && counts.Count > 0 ? counts.Keys.Min() : data.Labels.DefaultIfEmpty(0).Min();
        if (maxLabel >= classes || minLabel < 0)
            findings.Add(new Finding(Severity.Error, "LABEL_RANGE", $"Labels go up to {maxLabel} but the classifier has {classes} outputs",
                $"labels {minLabel}..{maxLabel}{(data.Source != null ? $" in {data.Source}" : "")}; the layer feeding '{loss.l.Name}' has num_output {classes}",
                "Caffe's release build does not check labels: a label of num_output or more reads past the class scores, and training is meaningless.",
                $"num_output: {maxLabel + 1} in the last InnerProduct (or relabel the data 0..{classes - 1})", Rank: 1));
        if (data.Database is { } db)
        {
            if (db.LooksSorted)
                findings.Add(new Finding(Severity.Warning, "SORTED_LABELS", "The training data are sorted by class",
                    $"{data.Source}: labels come in {db.LabelRuns} runs over {db.Count} records",
                    "Caffe's Data layer reads the database in key order, so each batch holds one class: the net chases one class after another and never settles.",
                    "convert the data again with shuffling (cortado convert-imageset --shuffle)", Rank: 10));
            if (db.LabelCounts.Count > 1 && db.LabelCounts.Values.Max() > 3 * db.LabelCounts.Values.Min())
                findings.Add(new Finding(Severity.Warning, "CLASS_IMBALANCE", "The classes are imbalanced",
                    $"{data.Source}: {string.Join(", ", db.LabelCounts.Select(c => $"{c.Key}: {c.Value}"))}",
                    "A net can reach a low loss by predicting the largest class; accuracy then says little.",
                    "balance the data, or weight the loss (InfogainLoss)", Rank: 30));
        }
    }

    private static void Schedule(SolverParameter solver, List<Finding> findings)
    {
        var points = new[] { 0.01, 0.1, 0.5, 0.9 }.Select(f => (f, Iter: (int)(f * solver.MaxIter))).ToList();
        var rates = points.Select(p => LearningRatePolicy.Rate(solver, p.Iter)).ToList();
        string table = string.Join(", ", points.Select((p, i) => $"{p.f * 100:0}% (iteration {p.Iter.ToString("N0", CultureInfo.InvariantCulture)}): {G(rates[i])}"));
        if (rates.Any(r => !float.IsFinite(r) || r <= 0) || LearningRatePolicy.Rate(solver, 0) <= 0)
        {
            findings.Add(new Finding(Severity.Error, "LR_ZERO", "The learning rate is 0 or not a number", $"lr_policy \"{solver.LrPolicy}\", base_lr {G(solver.BaseLr)}: {table}",
                "A rate of 0 or NaN means no training at all.", "set base_lr and the fields the policy needs (stepsize, gamma, power, max_iter)", Rank: 2));
            return;
        }
        string explanation = solver.LrPolicy switch
        {
            "poly" => $"poly gives base_lr * (1 - iter/max_iter)^{G(solver.Power)}: with power {G(solver.Power)} the rate stays near base_lr for most of the run and falls to 0 only at max_iter, so over a short run it is practically fixed. It is not why a net sits at a constant loss.",
            "fixed" => "The rate is base_lr throughout.",
            _ => $"{solver.LrPolicy} policy as documented by Caffe.",
        };
        findings.Add(new Finding(Severity.Info, "LR_SCHEDULE", $"Learning rate schedule: {solver.LrPolicy}", $"base_lr {G(solver.BaseLr)}; {table}", explanation, Rank: 50));
        if (solver.Momentum < 0 || solver.Momentum >= 1 || (solver.Type == "SGD" && solver.Momentum > 0.99))
            findings.Add(new Finding(Severity.Warning, "MOMENTUM_RANGE", "Momentum is outside the usual range", $"momentum {G(solver.Momentum)}",
                "Momentum of 1 or more makes SGD's velocity grow without bound; usual values are 0.9 to 0.99.", "momentum: 0.9", Rank: 40));
        if (solver.WeightDecay > 0.01)
            findings.Add(new Finding(Severity.Warning, "WEIGHT_DECAY_RANGE", "Weight decay is unusually strong", $"weight_decay {G(solver.WeightDecay)}",
                "Decay above about 0.01 pulls the weights to 0 faster than the data can move them; usual values are 1e-4 to 5e-4.", "weight_decay: 0.0005", Rank: 40));
    }

    private static void Length(SolverParameter solver, DataSample data, List<Finding> findings)
    {
        if (data.Database is not { } db || db.Count == 0) return;
        double epochs = (double)solver.MaxIter * data.BatchSize * Math.Max(1, solver.IterSize) / db.Count;
        string evidence = $"max_iter {solver.MaxIter.ToString("N0", CultureInfo.InvariantCulture)} x batch {data.BatchSize} over {db.Count.ToString("N0", CultureInfo.InvariantCulture)} training images = {epochs.ToString("N0", CultureInfo.InvariantCulture)} epochs";
        if (epochs > 1000)
            findings.Add(new Finding(Severity.Warning, "LONG_TRAINING", "max_iter is far longer than the data need", evidence,
                "Thousands of passes over the same images mostly overfit (and with the poly policy keep the rate high the whole time); Keras's example trains 12 epochs. It does not stop learning from starting, but it says the run was never sized to the data.",
                $"max_iter: {(int)Math.Ceiling(12.0 * db.Count / (data.BatchSize * Math.Max(1, solver.IterSize)))}   # 12 epochs", Rank: 45));
        else findings.Add(new Finding(Severity.Info, "TRAINING_LENGTH", "Training length", evidence, "The number of passes over the training data.", Rank: 60));
    }

    private static void TestCoverage(SolverParameter solver, Net? test, List<Finding> findings)
    {
        if (test == null || solver.TestIter.Count == 0) return;
        var dataLayer = test.Layers.FirstOrDefault(l => l.Type == "Data");
        if (dataLayer?.Param.DataParam is not { } p) return;
        long count;
        try { using var reader = Data.RecordDatabases.OpenReader(p.Source); count = reader.Count; }
        catch (Errors.CortadoException) { return; }
        long seen = (long)solver.TestIter[0] * p.BatchSize;
        if (seen == count) return;
        findings.Add(new Finding(Severity.Info, "TEST_COVERAGE", seen < count ? "Testing sees only part of the test set" : "Testing repeats test images",
            $"test_iter {solver.TestIter[0]} x batch {p.BatchSize} = {seen} images; {p.Source} holds {count}",
            seen < count ? "The reported test accuracy comes from a part of the test set." : "Images are counted more than once in each test pass; the averages are slightly biased.",
            $"test_iter: {(count + p.BatchSize - 1) / p.BatchSize}", Rank: 55));
    }
}
