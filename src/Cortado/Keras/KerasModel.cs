using System.Diagnostics;
using System.Globalization;
using Cortado.Errors;
using Cortado.Layers;
using Cortado.Nets;
using Cortado.Proto;
using Cortado.Solvers;

namespace Cortado.Keras;

/// <summary>The calls of a model in order, from its input tensors to its output tensors.</summary>
internal sealed record ModelGraph(IReadOnlyList<KerasTensor> Inputs, IReadOnlyList<KerasTensor> Outputs, IReadOnlyList<KerasNode> Nodes);

/// <summary>
/// What Keras's Sequential and functional models share: the graph of layer calls becomes a Caffe
/// NetParameter and SolverParameter and trains on Cortado's one engine. Inputs follow Keras's layout,
/// channel-last samples; each softmax output is trained with SoftmaxWithLoss on its logits (Keras sums
/// the outputs' losses, and so does Caffe's net). A layer called more than once shares its parameters by
/// Caffe's ParamSpec names.
/// </summary>
public abstract class KerasModel
{
    private static readonly string[] CrossEntropies = ["categorical_crossentropy", "sparse_categorical_crossentropy"];
    /// <summary>Keras's top-k metrics, at their default k of 5; both count a label whose score fewer than k classes beat.</summary>
    private static readonly string[] TopKMetrics = ["top_k_categorical_accuracy", "sparse_top_k_categorical_accuracy"];
    private const int TopK = 5;
    private string[] _topKMetrics = [];
    private string[] _metrics = [];
    private string? _loss;
    private KerasOptimizer? _optimizer;
    private Solver? _solver;
    private Net? _inference;
    // Weights kept across a re-Compile: Keras's compile() leaves the weights as they are.
    private NetParameter? _carriedWeights;
    // Each output's blob in the last net written (the probabilities when it ends in softmax).
    private string[] _outputBlobs = [];

    public KerasOptimizer? Optimizer => _optimizer;
    public string? Loss => _loss;
    /// <summary>The metrics given to Compile, as given.</summary>
    public IReadOnlyList<string> Metrics => _metrics;
    public int Seed { get; init; } = 1;
    public abstract string Name { get; init; }

    /// <summary>Every layer once, in the order of their first calls.</summary>
    public abstract IReadOnlyList<KerasLayer> Layers { get; }

    internal abstract ModelGraph Graph { get; }

    /// <summary>Dropped when the graph changes (Sequential.Add), so the next use builds the net afresh.</summary>
    private protected void GraphChanged() => (_solver, _inference) = (null, null);

    public void Compile(string loss, KerasOptimizer optimizer, params string[] metrics)
    {
        if (!CrossEntropies.Contains(loss)) throw new CortadoException($"loss '{loss}' is not supported; use {string.Join(" or ", CrossEntropies)}");
        if (metrics.FirstOrDefault(m => m is not ("accuracy" or "acc") && !TopKMetrics.Contains(m)) is { } unknown)
            throw new CortadoException($"metric '{unknown}' is not supported; use accuracy, {string.Join(" or ", TopKMetrics)}");
        var topK = metrics.Where(TopKMetrics.Contains).Distinct().ToArray();
        foreach (var output in Graph.Outputs)
            if (!EndsInSoftmax(output))
                throw new CortadoException($"loss '{loss}' expects probabilities: end the model{(Graph.Outputs.Count > 1 ? $"'s output {output}" : "")} with Activation(\"softmax\") or a Dense layer with Activation = \"softmax\"");
        _carriedWeights = _solver?.Net.ToProto() ?? _carriedWeights;
        (_loss, _optimizer, _metrics, _topKMetrics, _solver, _inference) = (loss, optimizer, metrics.ToArray(), topK, null, null);
    }

    private static bool EndsInSoftmax(KerasTensor output) => output.Node?.Layer switch
    {
        Activation a => a.Function == "softmax",
        Dense d => d.Activation == "softmax",
        Conv2D c => c.Activation == "softmax",
        _ => false,
    };

    /// <summary>
    /// Saves the model as Keras does: "m.keras" in Keras 3's format (a zip of config.json, metadata.json
    /// and model.weights.h5), "m.h5" in Keras 2's HDF5 layout (model_config, training_config, /model_weights).
    /// The file is written atomically.
    /// </summary>
    public void Save(string path) => KerasModelFile.Save(this, path);

    /// <summary>Loads a model saved by Save or by Keras (.keras, or .h5 from model.save), Sequential or functional, compiled as saved unless <paramref name="compile"/> is false.</summary>
    public static KerasModel Load(string path, bool compile = true) => KerasModelFile.LoadModel(path, compile);

    /// <summary>The model as Keras's model.to_json() writes it, in Keras 2's form or Keras 3's; KerasModelJson.ParseModel reads it back.</summary>
    public string ToJson(KerasVersion format = KerasVersion.Keras2) => KerasModelConfig.Model(this, format).ToJsonString();

    /// <summary>Saves the weights alone, as Keras's save_weights: "m.weights.h5" in Keras 3's layout, another ".h5" in Keras 2's.</summary>
    public void SaveWeights(string path) => KerasModelFile.SaveWeights(this, path);

    public long ParamCount() => Layers.Sum(l => l.ParamCount(InputOf(l)));

    /// <summary>The blob an input is fed through: "data" for a single input, else the Input layer's name.</summary>
    private string InputBlob(int index) => Graph.Inputs.Count == 1 ? "data" : Graph.Inputs[index].Input!.Name!;

    /// <summary>The loss, accuracy and label blobs of an output are named after it when there are several.</summary>
    private string OutputPrefix(int index) => Graph.Outputs.Count == 1 ? "" : Graph.Outputs[index].Node!.Layer.Name + "_";

    private string LabelBlob(int index) => Graph.Outputs.Count == 1 ? "label" : OutputPrefix(index) + "label";

    /// <summary>
    /// The Caffe net: an Input of each model input (batchSize x C x H x W, or batchSize x D) and each
    /// output's labels, the layer calls in order, then per softmax output SoftmaxWithLoss and Accuracy on
    /// the logits and a Softmax "prob" in the TEST phase. <paramref name="notes"/> collects the Keras
    /// semantics that had to be translated.
    /// </summary>
    public NetParameter ToNetParameter(int batchSize, List<string>? notes = null)
    {
        notes ??= [];
        var graph = Graph;
        var net = new NetParameter { Name = Name };
        var data = new LayerParameter { Name = "data", Type = "Input", InputParam = new InputParameter() };
        var blobs = new Dictionary<KerasTensor, string>();
        for (int i = 0; i < graph.Inputs.Count; i++)
        {
            var shape = graph.Inputs[i].Shape;
            if (shape.Length is not (1 or 3)) throw new CortadoException($"InputShape must be (height, width, channels) or (features), got ({string.Join(", ", shape)})");
            blobs[graph.Inputs[i]] = InputBlob(i);
            data.Top.Add(InputBlob(i));
            data.InputParam.Shape.Add(shape.Length == 3 ? new BlobShape { Dim = { batchSize, shape[2], shape[0], shape[1] } } : new BlobShape { Dim = { batchSize, shape[0] } });
            if (shape.Length == 3) notes.Add($"input{(graph.Inputs.Count > 1 ? " " + InputBlob(i) : "")}: Keras's channel-last ({shape[0]}, {shape[1]}, {shape[2]}) is Caffe's channel-first {shape[2]} x {shape[0]} x {shape[1]}");
        }
        for (int o = 0; o < graph.Outputs.Count; o++)
        {
            data.Top.Add(LabelBlob(o));
            data.InputParam.Shape.Add(new BlobShape { Dim = { batchSize } });
        }
        net.Layer.Add(data);
        var layers = new List<LayerParameter>();
        var readers = graph.Nodes.SelectMany(n => n.Inputs).Concat(graph.Outputs).GroupBy(t => t).ToDictionary(g => g.Key, g => g.Count());
        // A layer's calls counted within this model: a layer may also have been called in another model's graph.
        var calls = new Dictionary<KerasLayer, int>();
        foreach (var node in graph.Nodes)
        {
            int first = layers.Count, call = calls[node.Layer] = calls.GetValueOrDefault(node.Layer, -1) + 1;
            var bottoms = node.Inputs.Select(t => blobs[t]).ToArray();
            string top = CallToCaffe(node, call, bottoms, layers, notes);
            // In place on a tensor that something else reads too would change it under that reader: write a blob of its own.
            if (bottoms.Contains(top) && node.Inputs.Any(t => blobs[t] == top && readers[t] > 1))
                top = OutOfPlace(layers, first, top, node.Layer.Name + (call > 0 ? $"_{call}" : ""));
            blobs[node.Output] = top;
        }
        _outputBlobs = graph.Outputs.Select(t => blobs[t]).ToArray();
        var losses = new List<LayerParameter>();
        for (int o = 0; o < graph.Outputs.Count; o++)
        {
            var softmax = layers.LastOrDefault(l => l.Top.Contains(_outputBlobs[o]));
            // No softmax at the end: an output net only (an imported model), without loss layers.
            if (softmax?.Type != "Softmax" || layers.Any(l => l != softmax && l.Bottom.Contains(_outputBlobs[o]))) continue;
            // Cross-entropy on softmax probabilities is trained as Caffe's SoftmaxWithLoss on the logits.
            layers.Remove(softmax);
            string logits = softmax.Bottom[0], prefix = OutputPrefix(o), label = LabelBlob(o);
            losses.Add(new LayerParameter { Name = prefix + "loss", Type = "SoftmaxWithLoss", Bottom = { logits, label }, Top = { prefix + "loss" } });
            losses.Add(new LayerParameter { Name = prefix + "accuracy", Type = "Accuracy", Bottom = { logits, label }, Top = { prefix + "accuracy" } });
            foreach (string metric in _topKMetrics)
            {
                losses.Add(new LayerParameter { Name = prefix + metric, Type = "Accuracy", Bottom = { logits, label }, Top = { prefix + metric }, AccuracyParam = new AccuracyParameter { TopK = TopK } });
                notes.Add($"metric: {metric} (k = {TopK}) is Caffe's Accuracy with top_k: {TopK}; both count ties at the boundary as in the top k");
            }
            losses.Add(new LayerParameter { Name = prefix + "prob", Type = "Softmax", Bottom = { logits }, Top = { prefix + "prob" }, Include = { new NetStateRule { Phase = Phase.Test } } });
            _outputBlobs[o] = prefix + "prob";
            notes.Add($"loss: {_loss ?? "categorical_crossentropy"} on softmax outputs is Caffe's SoftmaxWithLoss on the logits; Keras clips probabilities to [1e-7, 1 - 1e-7] (at most 16.1 per sample), Caffe at FLT_MIN (at most 87.34)");
        }
        net.Layer.AddRange(layers);
        net.Layer.AddRange(losses);
        return net;
    }

    /// <summary>A call's Caffe layers; a later call of a shared layer gets its own layer names and the first call's parameters by name.</summary>
    private static string CallToCaffe(KerasNode node, int call, string[] bottoms, List<LayerParameter> layers, List<string> notes)
    {
        var layer = node.Layer;
        var shapes = node.Inputs.Select(t => t.Shape).ToArray();
        if (call == 0) return layer.ToCaffe(bottoms, shapes, layers, notes);
        string name = layer.Name!, alias = $"{name}_{call}";
        int first = layers.Count;
        string top;
        layer.Name = alias;
        try { top = layer.ToCaffe(bottoms, shapes, layers, notes); }
        finally { layer.Name = name; }
        foreach (var caffe in layers.Skip(first))
        {
            string owner = name + caffe.Name[alias.Length..];
            var original = layers.First(l => l.Name == owner);
            for (int i = 0; i < ParamBlobs(caffe); i++)
            {
                Share(original, i, owner);
                Share(caffe, i, owner);
            }
        }
        return top;

        static void Share(LayerParameter layer, int index, string owner)
        {
            while (layer.Param.Count <= index) layer.Param.Add(new ParamSpec());
            layer.Param[index].Name = $"{owner}_param{index}";
        }
    }

    /// <summary>How many parameter blobs the Caffe layers that Keras layers write hold.</summary>
    private static int ParamBlobs(LayerParameter layer) => layer.Type switch
    {
        "Convolution" or "Deconvolution" => layer.ConvolutionParam.BiasTerm ? 2 : 1,
        "InnerProduct" => layer.InnerProductParam.BiasTerm ? 2 : 1,
        "Embed" => layer.EmbedParam.BiasTerm ? 2 : 1,
        "Scale" => layer.ScaleParam?.BiasTerm == true ? 2 : 1,
        "BatchNorm" => 3,
        "PReLU" => 1,
        _ => 0,
    };

    /// <summary>Rewrites a call's layers (from <paramref name="first"/>) that work in place on <paramref name="blob"/> to write <paramref name="top"/> instead.</summary>
    private static string OutOfPlace(List<LayerParameter> layers, int first, string blob, string top)
    {
        bool written = false;
        foreach (var layer in layers.Skip(first))
        {
            if (written) for (int i = 0; i < layer.Bottom.Count; i++) if (layer.Bottom[i] == blob) layer.Bottom[i] = top;
            for (int i = 0; i < layer.Top.Count; i++)
                if (layer.Top[i] == blob) { layer.Top[i] = top; written = true; }
        }
        return top;
    }

    public SolverParameter ToSolverParameter()
    {
        var optimizer = _optimizer ?? throw new CortadoException("compile the model first (Compile(loss, optimizer, metrics))");
        var solver = optimizer.ToSolver();
        solver.MaxIter = int.MaxValue;
        solver.RandomSeed = Seed;
        solver.SolverMode = SolverParameter.Types.SolverMode.Cpu;
        return solver;
    }

    /// <summary>Writes NAME_train_val.prototxt and NAME_solver.prototxt, stating in comments what was translated.</summary>
    public (string Net, string Solver) Export(string folder, int batchSize, int maxIter)
    {
        var notes = new List<string>();
        var net = ToNetParameter(batchSize, notes);
        var solver = ToSolverParameter();
        solver.MaxIter = maxIter;
        string netPath = Path.Combine(folder, $"{Name}_train_val.prototxt"), solverPath = Path.Combine(folder, $"{Name}_solver.prototxt");
        solver.Net = Path.GetFileName(netPath);
        solver.Display = 100;
        solver.SnapshotPrefix = Name;
        string header = $"# Exported by Cortado from the Keras model '{Name}'. Keras semantics translated for Caffe:\n" + string.Concat(notes.Distinct().Select(n => $"#   {n}\n"));
        IO.AtomicFile.WriteAllText(netPath, header + TextFormat.Print(net));
        IO.AtomicFile.WriteAllText(solverPath, $"# Keras optimizer {_optimizer!.Describe()}; no weight decay; the data must be fed already scaled as for Keras.\n" + TextFormat.Print(solver));
        return (netPath, solverPath);
    }

    /// <summary>Keras's history names of the metrics, with the blobs they are read from, for one output or several.</summary>
    private (string History, string Blob)[] MetricBlobs(bool withLoss)
    {
        var result = new List<(string, string)>();
        if (withLoss && Graph.Outputs.Count > 1) result.Add(("loss", ""));
        for (int o = 0; o < Graph.Outputs.Count; o++)
        {
            string prefix = OutputPrefix(o);
            if (withLoss) result.Add((prefix + "loss", prefix + "loss"));
            result.Add((prefix + "acc", prefix + "accuracy"));
            foreach (var metric in _topKMetrics) result.Add((prefix + metric, prefix + metric));
        }
        return result.ToArray();
    }

    /// <summary>
    /// Trains on one array per input (channel-last samples, flattened) and one array of class labels per
    /// output, printing Keras-style lines per epoch; validation from validationData or the last
    /// validationSplit of the samples.
    /// </summary>
    public History Fit(float[][] x, int[][] y, int batchSize = 32, int epochs = 1, (float[][] X, int[][] Y)? validationData = null,
        double validationSplit = 0, bool shuffle = true, TextWriter? output = null, IEnumerable<Callbacks.Callback>? callbacks = null)
    {
        if (_optimizer == null) throw new CortadoException("compile the model before Fit");
        int count = CheckSamples(x, y);
        if (validationData == null && validationSplit > 0)
        {
            int validation = (int)(count * validationSplit);
            validationData = (Slice(x, count - validation, count), y.Select(l => l[(count - validation)..count]).ToArray());
            count -= validation;
        }
        var solver = EnsureSolver(batchSize);
        var random = new Random(Seed);
        var order = Enumerable.Range(0, count).ToArray();
        var history = new History();
        var hooks = callbacks?.ToList() ?? [];
        var metrics = MetricBlobs(withLoss: true);
        // The optimizer's rate is the solver's base_lr, read by the policy at every iteration.
        var state = new Callbacks.TrainingState(() => solver.Param.BaseLr, rate => solver.Param.BaseLr = (float)rate, this);
        foreach (var hook in hooks) hook.OnTrainBegin(state);
        for (int epoch = 1; epoch <= epochs && !state.StopTraining; epoch++)
        {
            foreach (var hook in hooks) hook.OnEpochBegin(epoch - 1, state);
            if (shuffle) random.Shuffle(order);
            var watch = Stopwatch.StartNew();
            var sums = new double[metrics.Length];
            double lossSum = 0;
            for (int start = 0; start < count; start += batchSize)
            {
                int n = Math.Min(batchSize, count - start);
                Feed(solver.Net, x, y, order.AsSpan(start, n));
                float loss = 0;
                void Record(int _, float l, float __, float ___) => loss = l;
                solver.IterationDone += Record;
                solver.Step(1);
                solver.IterationDone -= Record;
                lossSum += loss * n;
                for (int m = 0; m < metrics.Length; m++)
                    sums[m] += (metrics[m].Blob.Length == 0 || metrics[m].Blob == "loss" ? loss : solver.Net.Blob(metrics[m].Blob).Data[0]) * n;
            }
            var line = $"{count}/{count} [==============================] - {watch.Elapsed.TotalSeconds:F0}s {watch.Elapsed.TotalMilliseconds * 1000 / count:F0}us/step";
            for (int m = 0; m < metrics.Length; m++)
            {
                history.Add(metrics[m].History, sums[m] / count);
                line += $" - {metrics[m].History}: {sums[m] / count:F4}";
            }
            if (validationData is { } v)
            {
                foreach (var (name, value) in EvaluateMetrics(v.X, v.Y, batchSize))
                {
                    history.Add("val_" + name, value);
                    line += $" - val_{name}: {value:F4}";
                }
            }
            output?.WriteLine($"Epoch {epoch}/{epochs}");
            output?.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{line}"));
            var logs = history.Metrics.ToDictionary(kv => kv.Key, kv => kv.Value[^1]);
            foreach (var hook in hooks) hook.OnEpochEnd(epoch - 1, logs, state);
        }
        foreach (var hook in hooks) hook.OnTrainEnd(state);
        return history;
    }

    /// <summary>Every compiled metric's mean over the samples, by Keras's history name, with dropout off (Keras's test mode).</summary>
    public IReadOnlyDictionary<string, double> EvaluateMetrics(float[][] x, int[][] y, int batchSize = 32)
    {
        int count = CheckSamples(x, y);
        var net = InferenceNet(batchSize);
        var all = Enumerable.Range(0, count).ToArray();
        var metrics = MetricBlobs(withLoss: true);
        var sums = new double[metrics.Length];
        for (int start = 0; start < count; start += batchSize)
        {
            int n = Math.Min(batchSize, count - start);
            Feed(net, x, y, all.AsSpan(start, n));
            float total = net.Forward();
            for (int m = 0; m < metrics.Length; m++) sums[m] += (metrics[m].Blob.Length == 0 ? total : net.Blob(metrics[m].Blob).Data[0]) * n;
        }
        return metrics.Select((m, i) => (m.History, sums[i] / count)).ToDictionary(p => p.History, p => p.Item2);
    }

    /// <summary>Each output's values for the samples of each input, channel-last as Keras gives them.</summary>
    public float[][] Predict(float[][] x, int batchSize = 32)
    {
        var graph = Graph;
        if (x.Length != graph.Inputs.Count) throw new CortadoException($"Predict: the model has {graph.Inputs.Count} input(s), {x.Length} array(s) were given");
        int count = SampleCount(x, "Predict");
        var net = InferenceNet(batchSize);
        var sizes = graph.Outputs.Select(t => t.Shape.Aggregate(1, (a, b) => a * b)).ToArray();
        var result = sizes.Select(s => new float[count * s]).ToArray();
        var all = Enumerable.Range(0, count).ToArray();
        var labels = graph.Outputs.Select(_ => new int[count]).ToArray();
        for (int start = 0; start < count; start += batchSize)
        {
            int n = Math.Min(batchSize, count - start);
            Feed(net, x, labels, all.AsSpan(start, n));
            net.Forward();
            for (int o = 0; o < sizes.Length; o++)
            {
                var values = net.Blob(_outputBlobs[o]).Data[..(n * sizes[o])];
                var shape = graph.Outputs[o].Shape;
                if (shape.Length == 3) ChannelLast(values, result[o].AsSpan(start * sizes[o]), n, shape);
                else values.CopyTo(result[o].AsSpan(start * sizes[o]));
            }
        }
        return result;
    }

    private static void ChannelLast(ReadOnlySpan<float> chw, Span<float> hwc, int n, int[] shape)
    {
        var (h, w, c) = (shape[0], shape[1], shape[2]);
        for (int s = 0; s < n; s++)
            for (int k = 0; k < c; k++)
                for (int i = 0; i < h; i++)
                    for (int j = 0; j < w; j++) hwc[((s * h + i) * w + j) * c + k] = chw[((s * c + k) * h + i) * w + j];
    }

    /// <summary>A layer's weights in Keras's layout (kernel, then bias), like Keras's layer.get_weights().</summary>
    public float[][] GetWeights(string layerName)
    {
        var (layer, input, flattened) = Locate(layerName);
        var blobs = Trained().Net.Layer(layerName).Blobs;
        var weights = blobs.Select(b => b.Data.ToArray()).ToArray();
        switch (layer)
        {
            case Conv2D conv: weights[0] = WeightLayout.ConvToKeras(weights[0], conv.KernelSize.Height, conv.KernelSize.Width, input[2], conv.Filters); break;
            // Keras's (kh, kw, filters, in) is Caffe's Deconvolution (in, filters, kh, kw): a convolution kernel's layout with the roles swapped.
            case Conv2DTranspose t: weights[0] = WeightLayout.ConvToKeras(weights[0], t.KernelSize.Height, t.KernelSize.Width, t.Filters, input[2]); break;
            case Dense dense: weights[0] = WeightLayout.DenseToKeras(weights[0], input[0], dense.Units, flattened); break;
        }
        return weights;
    }

    /// <summary>A layer's weights in the order SetWeights takes them (BatchNormalization: gamma, beta, mean, variance).</summary>
    public float[][] GetWeightsForCopy(string layerName)
    {
        var (layer, _, _) = Locate(layerName);
        if (layer is not BatchNormalization) return GetWeights(layerName);
        var norm = Trained().Net.Layer(layerName).Blobs;
        var scale = Trained().Net.Layer(layerName + "_scale").Blobs;
        float factor = norm[2].Data[0] == 0 ? 0 : 1 / norm[2].Data[0];
        return [scale[0].Data.ToArray(), scale[1].Data.ToArray(), norm[0].Data.ToArray().Select(v => v * factor).ToArray(), norm[1].Data.ToArray().Select(v => v * factor).ToArray()];
    }

    /// <summary>Sets a layer's weights from Keras's layout (kernel, then bias), like Keras's layer.set_weights().</summary>
    public void SetWeights(string layerName, params float[][] weights)
    {
        var (layer, input, flattened) = Locate(layerName);
        if (layer is BatchNormalization)
        {
            // Keras: gamma, beta, moving mean, moving variance; Caffe: BatchNorm (mean, variance, factor 1) then Scale (gamma, beta).
            if (weights.Length != 4) throw new CortadoException($"Keras layer '{layerName}' (BatchNormalization) has 4 weight arrays (gamma, beta, mean, variance), {weights.Length} were given");
            var norm = Trained().Net.Layer(layerName).Blobs;
            var scale = Trained().Net.Layer(layerName + "_scale").Blobs;
            weights[2].CopyTo(norm[0].Data);
            weights[3].CopyTo(norm[1].Data);
            norm[2].Data[0] = 1f;
            weights[0].CopyTo(scale[0].Data);
            weights[1].CopyTo(scale[1].Data);
            return;
        }
        var blobs = Trained().Net.Layer(layerName).Blobs;
        if (weights.Length != blobs.Count) throw new CortadoException($"Keras layer '{layerName}' has {blobs.Count} weight arrays, {weights.Length} were given");
        for (int i = 0; i < blobs.Count; i++)
        {
            var values = weights[i];
            if (values.Length != blobs[i].Count) throw new CortadoException($"Keras layer '{layerName}': weight array {i} needs {blobs[i].Count} values, got {values.Length}");
            if (i == 0 && layer is Conv2D conv) values = WeightLayout.ConvToCaffe(values, conv.KernelSize.Height, conv.KernelSize.Width, input[2], conv.Filters);
            if (i == 0 && layer is Conv2DTranspose t) values = WeightLayout.ConvToCaffe(values, t.KernelSize.Height, t.KernelSize.Width, t.Filters, input[2]);
            if (i == 0 && layer is Dense dense) values = WeightLayout.DenseToCaffe(values, input[0], dense.Units, flattened);
            values.CopyTo(blobs[i].Data);
        }
    }

    /// <summary>Sets every layer's weights from a Keras HDF5 file; layer names and array shapes must match the model.</summary>
    public void LoadWeights(string path)
    {
        var weights = KerasWeights.Read(path);
        foreach (var layer in Layers)
        {
            bool learns = layer.WeightSpecs(InputOf(layer)).Length > 0;
            if (!weights.TryGetValue(layer.Name!, out var arrays) || (arrays.Length == 0 && learns))
            {
                if (learns) throw new CortadoException($"{path}: no weights for layer '{layer.Name}' ({layer.ClassName}); the file has weights for {string.Join(", ", weights.Where(w => w.Value.Length > 0).Select(w => w.Key))}");
                continue;
            }
            if (!learns) continue;
            try { SetWeights(layer.Name!, arrays); }
            catch (CortadoException e) { throw new CortadoException($"{path}: {e.Message}"); }
        }
    }

    /// <summary>Sets a layer's weights from arrays with their stored shapes, which must be Keras's shapes for the layer exactly.</summary>
    public void SetWeights(string layerName, IReadOnlyList<KerasArray> arrays)
    {
        var (layer, input, _) = Locate(layerName);
        int[][] expected = layer.WeightSpecs(input).Select(w => w.Shape).ToArray();
        if (arrays.Count != expected.Length)
            throw new CortadoException($"Keras layer '{layerName}' ({layer.ClassName}) has {expected.Length} weight arrays, the file gives {arrays.Count}");
        for (int i = 0; i < expected.Length; i++)
            if (!arrays[i].Shape.SequenceEqual(expected[i]))
                throw new CortadoException($"Keras layer '{layerName}' ({layer.ClassName}): weight array {i} has shape {arrays[i].ShapeText}, but the model needs " +
                    $"({string.Join(", ", expected[i])}){(arrays[i].Shape.Reverse().SequenceEqual(expected[i]) ? "; it is stored transposed" : "")}");
        SetWeights(layerName, arrays.Select(a => a.Values).ToArray());
    }

    /// <summary>The net for inference (deploy): an Input of each model input, the layers, a Softmax "prob" per softmax output.</summary>
    public NetParameter ToDeployNet(int batchSize, List<string>? notes = null)
    {
        var net = ToNetParameter(batchSize, notes);
        var input = net.Layer[0];
        for (int o = Graph.Outputs.Count - 1; o >= 0; o--)
        {
            int at = input.Top.IndexOf(LabelBlob(o));
            input.Top.RemoveAt(at);
            input.InputParam.Shape.RemoveAt(at);
        }
        var deploy = new NetParameter { Name = net.Name };
        deploy.Layer.AddRange(net.Layer.Where(l => l.Type is not ("SoftmaxWithLoss" or "Accuracy")));
        foreach (var layer in deploy.Layer) layer.Include.Clear();
        return deploy;
    }

    /// <summary>The model's current weights as a .caffemodel body (layer names are the Keras names).</summary>
    public NetParameter ToCaffeModel() => Trained().Net.ToProto();

    /// <summary>Sets weights given in Caffe's layout, by the names of the model's own Caffe layers (keras-export's way in).</summary>
    internal void CopyCaffeWeights(NetParameter weights) => Trained().Net.CopyTrainedLayersFrom(weights, "the Caffe weights");

    /// <summary>The shape a layer receives at its first call.</summary>
    internal int[] InputOf(KerasLayer layer) => FirstCall(layer).Inputs[0].Shape;

    private KerasNode FirstCall(KerasLayer layer) => Graph.Nodes.First(n => n.Layer == layer);

    /// <summary>A layer, its input shape, and the (h, w, c) image a Flatten before it turned into its input, if any.</summary>
    private (KerasLayer Layer, int[] Input, int[]? Flattened) Locate(string layerName)
    {
        var layer = Layers.FirstOrDefault(l => l.Name == layerName)
            ?? throw new CortadoException($"the model has no layer '{layerName}'; its layers are {string.Join(", ", Layers.Select(l => l.Name))}");
        var input = FirstCall(layer).Inputs[0];
        int[]? flattened = null;
        for (var t = input; t.Node is { Layer: Flatten or Dropout or Activation } producer; t = producer.Inputs[0])
            if (producer.Layer is Flatten)
            {
                flattened = producer.Inputs[0].Shape.Length == 3 ? producer.Inputs[0].Shape : null;
                break;
            }
        return (layer, input.Shape, flattened);
    }

    private Solver Trained()
    {
        if (_optimizer == null) _optimizer = new SGD(); // weights can be set and read before Compile
        return EnsureSolver(1);
    }

    private Solver EnsureSolver(int batchSize)
    {
        if (_solver != null) return _solver;
        var solver = ToSolverParameter();
        solver.NetParam = ToNetParameter(batchSize);
        _solver = SolverFactory.Create(solver);
        if (_carriedWeights != null) _solver.Net.CopyTrainedLayersFrom(_carriedWeights);
        _carriedWeights = null;
        return _solver;
    }

    private Net InferenceNet(int batchSize)
    {
        // Keras predicts with an uncompiled model too.
        _optimizer ??= new SGD();
        var solver = EnsureSolver(batchSize);
        if (_inference == null)
        {
            _inference = new Net(ToNetParameter(batchSize), Phase.Test, new NetOptions { Random = new CaffeRandom(Seed) });
            _inference.ShareTrainedLayersWith(solver.Net);
        }
        return _inference;
    }

    /// <summary>Copies the chosen samples into each input's blob, channel-last to channel-first, and each output's labels.</summary>
    private void Feed(Net net, float[][] x, int[][] y, ReadOnlySpan<int> samples)
    {
        var graph = Graph;
        for (int input = 0; input < graph.Inputs.Count; input++)
        {
            var shape = graph.Inputs[input].Shape;
            // A flat input (features,) is the same in both layouts; an image goes channel-last to channel-first.
            var (h, w, c) = shape.Length == 3 ? (shape[0], shape[1], shape[2]) : (1, 1, shape[0]);
            int sampleSize = h * w * c;
            var data = net.Blob(InputBlob(input));
            if (shape.Length == 3) data.Reshape(samples.Length, c, h, w);
            else data.Reshape(samples.Length, c);
            var target = data.Data;
            var source = x[input];
            for (int n = 0; n < samples.Length; n++)
            {
                int from = samples[n] * sampleSize, offset = n * sampleSize;
                for (int i = 0; i < h; i++)
                    for (int j = 0; j < w; j++)
                        for (int k = 0; k < c; k++) target[offset + (k * h + i) * w + j] = source[from + (i * w + j) * c + k];
            }
        }
        for (int output = 0; output < graph.Outputs.Count; output++)
        {
            var labels = net.Blob(LabelBlob(output));
            labels.Reshape(samples.Length);
            for (int n = 0; n < samples.Length; n++) labels.Data[n] = y[output][samples[n]];
        }
    }

    private int SampleCount(float[][] x, string verb)
    {
        int count = -1;
        for (int i = 0; i < x.Length; i++)
        {
            var shape = Graph.Inputs[i].Shape;
            int size = shape.Aggregate(1, (a, b) => a * b);
            if (x[i].Length % size != 0) throw new CortadoException($"{verb}: {x[i].Length} values are not whole samples of {string.Join(" x ", shape)}{(x.Length > 1 ? $" (input {InputBlob(i)})" : "")}");
            if (count >= 0 && x[i].Length / size != count) throw new CortadoException($"{verb}: the inputs hold different numbers of samples ({count} and {x[i].Length / size})");
            count = x[i].Length / size;
        }
        return count;
    }

    private int CheckSamples(float[][] x, int[][] y)
    {
        var graph = Graph;
        if (x.Length != graph.Inputs.Count || y.Length != graph.Outputs.Count)
            throw new CortadoException($"the model has {graph.Inputs.Count} input(s) and {graph.Outputs.Count} output(s); {x.Length} input array(s) and {y.Length} label array(s) were given");
        int count = SampleCount(x, "the samples");
        for (int o = 0; o < y.Length; o++)
        {
            var inputShape = graph.Inputs[0].Shape;
            if (y[o].Length != count)
                throw new CortadoException(graph.Inputs.Count == 1 && graph.Outputs.Count == 1
                    ? $"x holds {x[0].Length} values ({(double)x[0].Length / inputShape.Aggregate(1, (a, b) => a * b):G4} samples of {string.Join(" x ", inputShape)}) but y holds {y[o].Length} labels"
                    : $"{count} samples but {y[o].Length} labels for output {OutputPrefix(o).TrimEnd('_')}");
            int classes = graph.Outputs[o].Shape[0];
            int bad = Array.FindIndex(y[o], label => label < 0 || label >= classes);
            if (bad >= 0) throw new CortadoException($"label {y[o][bad]} of sample {bad} is outside the model's {classes} classes");
        }
        return count;
    }

    /// <summary>Samples [from, to) of each input.</summary>
    private float[][] Slice(float[][] x, int from, int to) =>
        x.Select((values, i) => { int size = Graph.Inputs[i].Shape.Aggregate(1, (a, b) => a * b); return values[(from * size)..(to * size)]; }).ToArray();
}
