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
    private static readonly string[] ValueMetrics = ["mae", "mean_absolute_error", "mse", "mean_squared_error"];
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
    // Each output's blob in the last net written (the probabilities when it ends in softmax or sigmoid).
    private string[] _outputBlobs = [];
    // Whether the net was built to take sample weights (a Fit with sample or class weights).
    private bool _weighted;

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
        var kind = KerasLoss.Kind(loss);
        if (metrics.FirstOrDefault(m => m is not ("accuracy" or "acc") && !TopKMetrics.Contains(m) && !ValueMetrics.Contains(m)) is { } unknown)
            throw new CortadoException($"metric '{unknown}' is not supported; use accuracy, {string.Join(", ", TopKMetrics.Concat(ValueMetrics))}");
        var topK = metrics.Where(TopKMetrics.Contains).Distinct().ToArray();
        if (topK.Length > 0 && kind != LossKind.CrossEntropy) throw new CortadoException($"metric '{topK[0]}' ranks classes; it goes with a cross-entropy loss, not '{loss}'");
        if (KerasLoss.Activation(kind) is { } activation)
            foreach (var output in Graph.Outputs)
                if (!EndsIn(output, activation))
                    throw new CortadoException($"loss '{loss}' expects probabilities: end the model{(Graph.Outputs.Count > 1 ? $"'s output {output}" : "")} with Activation(\"{activation}\") or a Dense layer with Activation = \"{activation}\"");
        _carriedWeights = _solver?.Net.ToProto() ?? _carriedWeights;
        (_loss, _optimizer, _metrics, _topKMetrics, _solver, _inference) = (loss, optimizer, metrics.ToArray(), topK, null, null);
    }

    private static bool EndsIn(KerasTensor output, string activation) => output.Node?.Layer switch
    {
        Activation a => a.Function == activation,
        Dense d => d.Activation == activation,
        Conv2D c => c.Activation == activation,
        Conv2DTranspose t => t.Activation == activation,
        _ => false,
    };

    /// <summary>An output's loss: the compiled one, or for an uncompiled model the cross-entropy on a softmax output (none otherwise).</summary>
    private LossKind? LossOf(KerasTensor output) => _loss != null ? KerasLoss.Kind(_loss) : EndsIn(output, "softmax") ? LossKind.CrossEntropy : null;

    /// <summary>Whether Fit and Evaluate compute metrics from the predictions on the host (those Caffe has no layer for).</summary>
    private bool HostMetrics => _metrics.Any(ValueMetrics.Contains) || (_loss != null && !KerasLoss.TakesLabels(KerasLoss.Kind(_loss)) && _metrics.Any(m => m is "accuracy" or "acc"));

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

    private string WeightBlob(int index) => OutputPrefix(index) + "sample_weight";

    private string OneHotBlob(int index) => OutputPrefix(index) + "onehot";

    /// <summary>Caffe's channel-first dims of a Keras sample shape.</summary>
    private static IEnumerable<long> CaffeDims(int[] shape) => shape.Length == 3 ? [shape[2], shape[0], shape[1]] : shape.Select(d => (long)d);

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
            var kind = LossOf(graph.Outputs[o]);
            data.Top.Add(LabelBlob(o));
            // Labels are one per sample; target values have the output's shape.
            var target = new BlobShape { Dim = { batchSize } };
            if (kind is { } k && !KerasLoss.TakesLabels(k)) target.Dim.AddRange(CaffeDims(graph.Outputs[o].Shape));
            data.InputParam.Shape.Add(target);
            if (!_weighted || kind == null) continue;
            data.Top.Add(WeightBlob(o));
            data.InputParam.Shape.Add(new BlobShape { Dim = { batchSize } });
            if (kind != LossKind.CrossEntropy) continue;
            data.Top.Add(OneHotBlob(o));
            data.InputParam.Shape.Add(new BlobShape { Dim = { batchSize, graph.Outputs[o].Shape[0] } });
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
            var output = graph.Outputs[o];
            // No loss: an output net only (an imported model without a softmax, uncompiled).
            if (LossOf(output) is not { } kind) continue;
            var blobsOfLoss = new LossBlobs(OutputPrefix(o), LabelBlob(o), _weighted ? WeightBlob(o) : null, _weighted ? OneHotBlob(o) : null);
            _outputBlobs[o] = KerasLoss.Add(kind, _loss ?? "categorical_crossentropy", layers, losses, _outputBlobs[o], blobsOfLoss,
                Size(output.Shape), _topKMetrics, TopK, HostMetrics, notes);
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

    /// <summary>
    /// A metric of Fit's history: read from a blob the net computes, or computed here from an output's
    /// predictions and targets (binary accuracy, mae, mse: Caffe has no layers for them); null Read is the total loss.
    /// </summary>
    private sealed record MetricReader(string History, Func<Net, double>? Read);

    /// <summary>Keras's history names of the metrics and how to read each, for one output or several.</summary>
    private MetricReader[] Readers()
    {
        var result = new List<MetricReader>();
        if (Graph.Outputs.Count > 1) result.Add(new("loss", null));
        for (int o = 0; o < Graph.Outputs.Count; o++)
        {
            if (LossOf(Graph.Outputs[o]) is not { } kind) continue;
            string prefix = OutputPrefix(o);
            int output = o;
            // A loss blob counts at its loss_weight (mse's 2 / D, hinge's 1 / D), as the net's total does.
            result.Add(new(Graph.Outputs.Count > 1 ? prefix + "loss" : "loss", net => net.Blob(prefix + "loss").Data[0] * net.LossWeightOf(net.Blob(prefix + "loss"))));
            if (KerasLoss.TakesLabels(kind)) result.Add(new(prefix + "acc", net => net.Blob(prefix + "accuracy").Data[0]));
            else if (_metrics.Any(m => m is "accuracy" or "acc")) result.Add(new(prefix + "acc", net => ValueMetric(net, output, "acc")));
            foreach (var metric in _topKMetrics) result.Add(new(prefix + metric, net => net.Blob(prefix + metric).Data[0]));
            foreach (var metric in _metrics.Where(ValueMetrics.Contains).Distinct()) result.Add(new(prefix + metric, net => ValueMetric(net, output, metric)));
        }
        return result.ToArray();
    }

    /// <summary>
    /// Keras's metrics on an output's predictions P and targets T (one-hot for labels), over every value:
    /// mae, mse, and accuracy as Keras picks it for value targets: binary (P and T on the same side of 0.5)
    /// for one value per sample or a binary_crossentropy loss, otherwise the argmax of P against T's.
    /// </summary>
    private double ValueMetric(Net net, int output, string metric)
    {
        var predictions = net.Blob(_outputBlobs[output]).Data;
        var targetBlob = net.Blob(LabelBlob(output));
        int n = targetBlob.Shape[0], size = predictions.Length / n;
        bool labels = KerasLoss.TakesLabels(LossOf(Graph.Outputs[output])!.Value);
        float Target(int sample, int k) => labels ? (k == (int)targetBlob.Data[sample] ? 1 : 0) : targetBlob.Data[sample * size + k];
        double sum = 0;
        if (metric is "acc")
        {
            if (size == 1 || KerasLoss.Kind(_loss!) == LossKind.BinaryCrossEntropy)
            {
                for (int s = 0; s < n; s++) for (int k = 0; k < size; k++) sum += (predictions[s * size + k] > 0.5f) == (Target(s, k) > 0.5f) ? 1 : 0;
                return sum / (n * size);
            }
            for (int s = 0; s < n; s++)
            {
                int best = 0, truth = 0;
                for (int k = 1; k < size; k++)
                {
                    if (predictions[s * size + k] > predictions[s * size + best]) best = k;
                    if (Target(s, k) > Target(s, truth)) truth = k;
                }
                sum += best == truth ? 1 : 0;
            }
            return sum / n;
        }
        bool squared = metric is "mse" or "mean_squared_error";
        for (int s = 0; s < n; s++)
            for (int k = 0; k < size; k++)
            {
                double d = predictions[s * size + k] - Target(s, k);
                sum += squared ? d * d : Math.Abs(d);
            }
        return sum / (n * size);
    }

    /// <summary>
    /// Trains on one array per input (channel-last samples, flattened) and one array of class labels per
    /// output, printing Keras-style lines per epoch; validation from validationData or the last
    /// validationSplit of the samples. <paramref name="sampleWeight"/> (one array per output) and
    /// <paramref name="classWeight"/> (by label) scale each sample's loss as Keras's sample_weight and class_weight do.
    /// </summary>
    public History Fit(float[][] x, int[][] y, int batchSize = 32, int epochs = 1, (float[][] X, int[][] Y)? validationData = null,
        double validationSplit = 0, bool shuffle = true, TextWriter? output = null, IEnumerable<Callbacks.Callback>? callbacks = null,
        float[][]? sampleWeight = null, IReadOnlyDictionary<int, double>? classWeight = null) =>
        Train(x, y.Select(l => new Targets(l, null)).ToArray(), batchSize, epochs, validationData is { } v ? (v.X, v.Y.Select(l => new Targets(l, null)).ToArray()) : null,
            validationSplit, shuffle, output, callbacks, sampleWeight, classWeight);

    /// <summary>
    /// Fit with target values (binary_crossentropy, mse, mae): one array per output of the output's shape per
    /// sample, channel-last and flattened.
    /// </summary>
    public History Fit(float[][] x, float[][] y, int batchSize = 32, int epochs = 1, (float[][] X, float[][] Y)? validationData = null,
        double validationSplit = 0, bool shuffle = true, TextWriter? output = null, IEnumerable<Callbacks.Callback>? callbacks = null, float[][]? sampleWeight = null) =>
        Train(x, y.Select(t => new Targets(null, t)).ToArray(), batchSize, epochs, validationData is { } v ? (v.X, v.Y.Select(t => new Targets(null, t)).ToArray()) : null,
            validationSplit, shuffle, output, callbacks, sampleWeight, null);

    /// <summary>An output's training targets: class labels, or values of the output's shape per sample.</summary>
    private sealed record Targets(int[]? Labels, float[]? Values)
    {
        public Targets Slice(int from, int to, int size) => Labels != null ? new(Labels[from..to], null) : new(null, Values![(from * size)..(to * size)]);
    }

    private History Train(float[][] x, Targets[] y, int batchSize, int epochs, (float[][] X, Targets[] Y)? validationData,
        double validationSplit, bool shuffle, TextWriter? output, IEnumerable<Callbacks.Callback>? callbacks, float[][]? sampleWeight, IReadOnlyDictionary<int, double>? classWeight)
    {
        if (_optimizer == null) throw new CortadoException("compile the model before Fit");
        int count = CheckSamples(x, y);
        var weights = SampleWeights(y, count, sampleWeight, classWeight);
        if (validationData == null && validationSplit > 0)
        {
            int validation = (int)(count * validationSplit);
            validationData = (Slice(x, count - validation, count), y.Select((t, o) => t.Slice(count - validation, count, OutputSize(o))).ToArray());
            count -= validation;
        }
        if (_weighted != (weights != null))
        {
            // The net takes sample weights only when given them: rebuild it, keeping the weights learned so far.
            _carriedWeights = _solver?.Net.ToProto() ?? _carriedWeights;
            (_weighted, _solver, _inference) = (weights != null, null, null);
        }
        var solver = EnsureSolver(batchSize);
        var random = new Random(Seed);
        var order = Enumerable.Range(0, count).ToArray();
        var history = new History();
        var hooks = callbacks?.ToList() ?? [];
        var metrics = Readers();
        // The optimizer's rate is the solver's base_lr, read by the policy at every iteration.
        var state = new Callbacks.TrainingState(() => solver.Param.BaseLr, rate => solver.Param.BaseLr = (float)rate, this);
        foreach (var hook in hooks) hook.OnTrainBegin(state);
        for (int epoch = 1; epoch <= epochs && !state.StopTraining; epoch++)
        {
            foreach (var hook in hooks) hook.OnEpochBegin(epoch - 1, state);
            if (shuffle) random.Shuffle(order);
            var watch = Stopwatch.StartNew();
            var sums = new double[metrics.Length];
            for (int start = 0; start < count; start += batchSize)
            {
                int n = Math.Min(batchSize, count - start);
                Feed(solver.Net, x, y, order.AsSpan(start, n), weights);
                float loss = 0;
                void Record(int _, float l, float __, float ___) => loss = l;
                solver.IterationDone += Record;
                solver.Step(1);
                solver.IterationDone -= Record;
                for (int m = 0; m < metrics.Length; m++) sums[m] += (metrics[m].Read == null || metrics[m].History == "loss" ? loss : metrics[m].Read!(solver.Net)) * n;
            }
            var line = $"{count}/{count} [==============================] - {watch.Elapsed.TotalSeconds:F0}s {watch.Elapsed.TotalMilliseconds * 1000 / count:F0}us/step";
            for (int m = 0; m < metrics.Length; m++)
            {
                history.Add(metrics[m].History, sums[m] / count);
                line += $" - {metrics[m].History}: {sums[m] / count:F4}";
            }
            if (validationData is { } v)
            {
                foreach (var (name, value) in Evaluate(v.X, v.Y, batchSize))
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

    /// <summary>Each output's per-sample loss weights (sample_weight times class_weight of the label), or null when neither is given.</summary>
    private float[][]? SampleWeights(Targets[] y, int count, float[][]? sampleWeight, IReadOnlyDictionary<int, double>? classWeight)
    {
        if (sampleWeight == null && classWeight == null) return null;
        if (sampleWeight != null && (sampleWeight.Length != y.Length || sampleWeight.Any(w => w.Length != count)))
            throw new CortadoException($"sample_weight needs one array of {count} weights per output ({y.Length}), got {string.Join(", ", sampleWeight.Select(w => w.Length))}");
        return y.Select((targets, o) =>
        {
            var weights = sampleWeight?[o].ToArray() ?? Enumerable.Repeat(1f, count).ToArray();
            if (classWeight == null) return weights;
            if (targets.Labels == null) throw new CortadoException("class_weight weighs samples by their class label; this loss takes target values (give sample_weight)");
            for (int s = 0; s < count; s++) weights[s] *= (float)classWeight.GetValueOrDefault(targets.Labels[s], 1.0);
            return weights;
        }).ToArray();
    }

    /// <summary>Every compiled metric's mean over the samples, by Keras's history name, with dropout off (Keras's test mode).</summary>
    public IReadOnlyDictionary<string, double> EvaluateMetrics(float[][] x, int[][] y, int batchSize = 32) => Evaluate(x, y.Select(l => new Targets(l, null)).ToArray(), batchSize);

    /// <summary>EvaluateMetrics with target values (binary_crossentropy, mse, mae).</summary>
    public IReadOnlyDictionary<string, double> EvaluateMetrics(float[][] x, float[][] y, int batchSize = 32) => Evaluate(x, y.Select(t => new Targets(null, t)).ToArray(), batchSize);

    private IReadOnlyDictionary<string, double> Evaluate(float[][] x, Targets[] y, int batchSize)
    {
        int count = CheckSamples(x, y);
        var net = InferenceNet(batchSize);
        var all = Enumerable.Range(0, count).ToArray();
        var metrics = Readers();
        var sums = new double[metrics.Length];
        var weights = _weighted ? y.Select(_ => Enumerable.Repeat(1f, count).ToArray()).ToArray() : null;
        for (int start = 0; start < count; start += batchSize)
        {
            int n = Math.Min(batchSize, count - start);
            Feed(net, x, y, all.AsSpan(start, n), weights);
            float total = net.Forward();
            for (int m = 0; m < metrics.Length; m++) sums[m] += (metrics[m].Read == null ? total : metrics[m].Read!(net)) * n;
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
        var sizes = graph.Outputs.Select(t => Size(t.Shape)).ToArray();
        var result = sizes.Select(s => new float[count * s]).ToArray();
        var all = Enumerable.Range(0, count).ToArray();
        var targets = graph.Outputs.Select(t => LossOf(t) is { } kind && !KerasLoss.TakesLabels(kind) ? new Targets(null, new float[count * Size(t.Shape)]) : new Targets(new int[count], null)).ToArray();
        var weights = _weighted ? graph.Outputs.Select(_ => new float[count]).ToArray() : null;
        for (int start = 0; start < count; start += batchSize)
        {
            int n = Math.Min(batchSize, count - start);
            Feed(net, x, targets, all.AsSpan(start, n), weights);
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

    /// <summary>The net for inference (deploy): an Input of each model input, the layers, the predictions of each output.</summary>
    public NetParameter ToDeployNet(int batchSize, List<string>? notes = null)
    {
        var net = ToNetParameter(batchSize, notes);
        var input = net.Layer[0];
        // Only the model's inputs stay: labels, targets and weights go, with every layer that reads them or computes a loss.
        var unavailable = input.Top.Skip(Graph.Inputs.Count).ToHashSet();
        for (int at = input.Top.Count - 1; at >= Graph.Inputs.Count; at--)
        {
            input.Top.RemoveAt(at);
            input.InputParam.Shape.RemoveAt(at);
        }
        var kept = new List<LayerParameter> { input };
        foreach (var layer in net.Layer.Skip(1))
        {
            if (layer.Type.EndsWith("Loss", StringComparison.Ordinal) || layer.LossWeight.Count > 0 || layer.Bottom.Any(unavailable.Contains))
                unavailable.UnionWith(layer.Top);
            else kept.Add(layer);
        }
        // Then what only those layers read (a weighted loss's softmax): a layer whose tops nothing kept reads and no output is.
        for (bool pruned = true; pruned;)
        {
            pruned = false;
            for (int i = kept.Count - 1; i > 0; i--)
                if (kept[i].Top.Count > 0 && !kept[i].Top.Any(t => _outputBlobs.Contains(t) || kept.Any(k => k != kept[i] && k.Bottom.Contains(t))))
                {
                    kept.RemoveAt(i);
                    pruned = true;
                }
        }
        var deploy = new NetParameter { Name = net.Name };
        deploy.Layer.AddRange(kept);
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

    private int OutputSize(int output) => Size(Graph.Outputs[output].Shape);

    /// <summary>Values per sample of a Keras shape.</summary>
    private static int Size(int[] shape) => shape.Aggregate(1, (a, b) => a * b);

    /// <summary>Channel-last samples into a channel-first blob of <paramref name="samples"/>.Length samples of <paramref name="shape"/>.</summary>
    private static void FeedSamples(Tensors.Blob blob, int[] shape, float[] source, ReadOnlySpan<int> samples)
    {
        // A flat sample (features,) is the same in both layouts; an image goes channel-last to channel-first.
        var (h, w, c) = shape.Length == 3 ? (shape[0], shape[1], shape[2]) : (1, 1, Size(shape));
        int sampleSize = h * w * c;
        var dims = new List<int> { samples.Length };
        dims.AddRange(CaffeDims(shape).Select(d => (int)d));
        blob.Reshape(dims.ToArray());
        var target = blob.Data;
        for (int n = 0; n < samples.Length; n++)
        {
            int from = samples[n] * sampleSize, offset = n * sampleSize;
            for (int i = 0; i < h; i++)
                for (int j = 0; j < w; j++)
                    for (int k = 0; k < c; k++) target[offset + (k * h + i) * w + j] = source[from + (i * w + j) * c + k];
        }
    }

    /// <summary>Copies the chosen samples into each input's blob, and each output's labels or targets (and sample weights and one-hot labels when weighted).</summary>
    private void Feed(Net net, float[][] x, Targets[] y, ReadOnlySpan<int> samples, float[][]? weights)
    {
        var graph = Graph;
        for (int input = 0; input < graph.Inputs.Count; input++) FeedSamples(net.Blob(InputBlob(input)), graph.Inputs[input].Shape, x[input], samples);
        for (int output = 0; output < graph.Outputs.Count; output++)
        {
            if (LossOf(graph.Outputs[output]) == null && !net.HasBlob(LabelBlob(output))) continue;
            var target = net.Blob(LabelBlob(output));
            if (y[output].Values is { } values) FeedSamples(target, graph.Outputs[output].Shape, values, samples);
            else
            {
                target.Reshape(samples.Length);
                for (int n = 0; n < samples.Length; n++) target.Data[n] = y[output].Labels![samples[n]];
            }
            if (!_weighted || LossOf(graph.Outputs[output]) is not { } kind) continue;
            var weight = net.Blob(WeightBlob(output));
            weight.Reshape(samples.Length);
            for (int n = 0; n < samples.Length; n++) weight.Data[n] = weights![output][samples[n]];
            if (kind != LossKind.CrossEntropy) continue;
            int classes = graph.Outputs[output].Shape[0];
            var oneHot = net.Blob(OneHotBlob(output));
            oneHot.Reshape(samples.Length, classes);
            oneHot.Data.Clear();
            for (int n = 0; n < samples.Length; n++) oneHot.Data[n * classes + y[output].Labels![samples[n]]] = 1;
        }
    }

    private int SampleCount(float[][] x, string verb)
    {
        int count = -1;
        for (int i = 0; i < x.Length; i++)
        {
            var shape = Graph.Inputs[i].Shape;
            int size = Size(shape);
            if (x[i].Length % size != 0) throw new CortadoException($"{verb}: {x[i].Length} values are not whole samples of {string.Join(" x ", shape)}{(x.Length > 1 ? $" (input {InputBlob(i)})" : "")}");
            if (count >= 0 && x[i].Length / size != count) throw new CortadoException($"{verb}: the inputs hold different numbers of samples ({count} and {x[i].Length / size})");
            count = x[i].Length / size;
        }
        return count;
    }

    private int CheckSamples(float[][] x, Targets[] y)
    {
        var graph = Graph;
        if (x.Length != graph.Inputs.Count || y.Length != graph.Outputs.Count)
            throw new CortadoException($"the model has {graph.Inputs.Count} input(s) and {graph.Outputs.Count} output(s); {x.Length} input array(s) and {y.Length} label array(s) were given");
        int count = SampleCount(x, "the samples");
        for (int o = 0; o < y.Length; o++)
        {
            var kind = LossOf(graph.Outputs[o]);
            string which = graph.Outputs.Count > 1 ? $" for output {OutputPrefix(o).TrimEnd('_')}" : "";
            if (kind is { } k && KerasLoss.TakesLabels(k) != (y[o].Labels != null))
                throw new CortadoException(KerasLoss.TakesLabels(k)
                    ? $"loss '{_loss}' takes class labels (int[]){which}, not target values"
                    : $"loss '{_loss}' takes target values (float[], the output's shape per sample){which}, not class labels");
            if (y[o].Values is { } values)
            {
                int size = OutputSize(o);
                if (values.Length != count * size) throw new CortadoException($"{count} samples need {count * size} target values ({size} each){which}, got {values.Length}");
                continue;
            }
            var labels = y[o].Labels!;
            var inputShape = graph.Inputs[0].Shape;
            if (labels.Length != count)
                throw new CortadoException(graph.Inputs.Count == 1 && graph.Outputs.Count == 1
                    ? $"x holds {x[0].Length} values ({(double)x[0].Length / Size(inputShape):G4} samples of {string.Join(" x ", inputShape)}) but y holds {labels.Length} labels"
                    : $"{count} samples but {labels.Length} labels{which}");
            int classes = graph.Outputs[o].Shape[0];
            int bad = Array.FindIndex(labels, label => label < 0 || label >= classes);
            if (bad >= 0) throw new CortadoException($"label {labels[bad]} of sample {bad} is outside the model's {classes} classes");
        }
        return count;
    }

    /// <summary>Samples [from, to) of each input.</summary>
    private float[][] Slice(float[][] x, int from, int to) =>
        x.Select((values, i) => { int size = Size(Graph.Inputs[i].Shape); return values[(from * size)..(to * size)]; }).ToArray();
}
