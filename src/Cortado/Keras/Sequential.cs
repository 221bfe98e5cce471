using System.Diagnostics;
using System.Globalization;
using Cortado.Errors;
using Cortado.Layers;
using Cortado.Nets;
using Cortado.Proto;
using Cortado.Solvers;

namespace Cortado.Keras;

/// <summary>
/// Keras's Sequential model in C#, with Keras's names and defaults. It is a thin builder: the
/// model becomes a Caffe NetParameter and SolverParameter and trains on Cortado's one engine,
/// so it can be exported to prototxt and compared with a Caffe port layer by layer. Data follow
/// Keras's layout: samples of (height, width, channels), channel-last.
/// </summary>
public sealed class Sequential
{
    private static readonly string[] CrossEntropies = ["categorical_crossentropy", "sparse_categorical_crossentropy"];
    /// <summary>Keras's top-k metrics, at their default k of 5; both count a label whose score fewer than k classes beat.</summary>
    private static readonly string[] TopKMetrics = ["top_k_categorical_accuracy", "sparse_top_k_categorical_accuracy"];
    private const int TopK = 5;
    private string[] _topKMetrics = [];
    private string[] _metrics = [];
    private readonly List<KerasLayer> _layers = [];
    private readonly Dictionary<string, int> _nameCounts = [];
    private int[]? _pendingInput;
    private string? _loss;
    private KerasOptimizer? _optimizer;
    private Solver? _solver;
    // Weights kept across a re-Compile: Keras's compile() leaves the weights as they are.
    private Proto.NetParameter? _carriedWeights;
    private Net? _inference;

    public Sequential(params KerasLayer[] layers)
    {
        foreach (var layer in layers) Add(layer);
    }

    public IReadOnlyList<KerasLayer> Layers => _layers;
    public int[] InputShape => _layers.Count > 0 && _layers[0].InputShape is { } shape ? shape : throw new CortadoException("the first layer needs an InputShape: (height, width, channels), or (features) for a Dense first");
    public KerasOptimizer? Optimizer => _optimizer;
    public string? Loss => _loss;
    /// <summary>The metrics given to Compile, as given.</summary>
    public IReadOnlyList<string> Metrics => _metrics;
    public int Seed { get; init; } = 1;
    public string Name { get; init; } = "sequential_1";

    public Sequential Add(KerasLayer layer)
    {
        if (layer is Input input)
        {
            if (_layers.Count > 0) throw new CortadoException("Input must come first");
            _pendingInput = input.Shape;
            return this;
        }
        if (_layers.Count == 0 && _pendingInput != null && layer.InputShape == null) layer.InputShape = _pendingInput;
        if (_layers.Count == 0 && layer.InputShape == null) throw new CortadoException($"the first layer ({layer.ClassName}) needs InputShape, e.g. InputShape = [24, 15, 1] (height, width, channels)");
        if (layer.Name == null)
        {
            int n = _nameCounts.GetValueOrDefault(layer.NamePrefix) + 1;
            _nameCounts[layer.NamePrefix] = n;
            layer.Name = $"{layer.NamePrefix}_{n}";
        }
        _layers.Add(layer);
        _solver = null;
        return this;
    }

    /// <summary>The model as Keras's model.to_json() writes it, in Keras 2's form or Keras 3's; KerasModelJson.Parse reads it back.</summary>
    public string ToJson(KerasVersion format = KerasVersion.Keras2) => KerasModelConfig.Model(this, format).ToJsonString();

    /// <summary>
    /// Saves the model as Keras does: "m.keras" in Keras 3's format (a zip of config.json, metadata.json
    /// and model.weights.h5), "m.h5" in Keras 2's HDF5 layout (model_config, training_config, /model_weights).
    /// The file is written atomically.
    /// </summary>
    public void Save(string path) => KerasModelFile.Save(this, path);

    /// <summary>Saves the weights alone, as Keras's save_weights: "m.weights.h5" in Keras 3's layout, another ".h5" in Keras 2's.</summary>
    public void SaveWeights(string path) => KerasModelFile.SaveWeights(this, path);

    /// <summary>Loads a model saved by Save or by Keras (.keras, or .h5 from model.save), compiled as it was saved unless <paramref name="compile"/> is false.</summary>
    public static Sequential Load(string path, bool compile = true) => KerasModelFile.Load(path, compile);

    /// <summary>Each layer's output shape (Keras's, without the batch axis); a layer that does not fit its input names itself.</summary>
    public IReadOnlyList<int[]> OutputShapes()
    {
        var shapes = new List<int[]>();
        var shape = InputShape;
        foreach (var layer in _layers)
        {
            shape = layer.OutputShape(shape);
            shapes.Add(shape);
        }
        return shapes;
    }

    public void Compile(string loss, KerasOptimizer optimizer, params string[] metrics)
    {
        if (!CrossEntropies.Contains(loss)) throw new CortadoException($"loss '{loss}' is not supported; use {string.Join(" or ", CrossEntropies)}");
        if (metrics.FirstOrDefault(m => m is not ("accuracy" or "acc") && !TopKMetrics.Contains(m)) is { } unknown)
            throw new CortadoException($"metric '{unknown}' is not supported; use accuracy, {string.Join(" or ", TopKMetrics)}");
        var topK = metrics.Where(TopKMetrics.Contains).Distinct().ToArray();
        OutputShapes();
        if (!EndsInSoftmax()) throw new CortadoException($"loss '{loss}' expects probabilities: end the model with Activation(\"softmax\") or a Dense layer with Activation = \"softmax\"");
        _carriedWeights = _solver?.Net.ToProto() ?? _carriedWeights;
        (_loss, _optimizer, _metrics, _topKMetrics, _solver, _inference) = (loss, optimizer, metrics.ToArray(), topK, null, null);
    }

    private bool EndsInSoftmax() => _layers[^1] switch
    {
        Activation a => a.Function == "softmax",
        Dense d => d.Activation == "softmax",
        Conv2D c => c.Activation == "softmax",
        _ => false,
    };

    /// <summary>Keras's summary table: layer (type), output shape, parameter count, and the totals.</summary>
    public void Summary(TextWriter output)
    {
        var shapes = OutputShapes();
        string rule = new('_', 65), doubleRule = new('=', 65);
        output.WriteLine(rule);
        output.WriteLine(Row("Layer (type)", "Output Shape", "Param #"));
        output.WriteLine(doubleRule);
        long total = 0, frozen = 0;
        var input = InputShape;
        for (int i = 0; i < _layers.Count; i++)
        {
            long count = _layers[i].ParamCount(input);
            total += count;
            frozen += _layers[i].NonTrainableCount(input);
            string shape = "(None, " + string.Join(", ", shapes[i]) + ")";
            output.WriteLine(Row($"{_layers[i].Name} ({_layers[i].ClassName})", shape, count.ToString(CultureInfo.InvariantCulture)));
            output.WriteLine(i == _layers.Count - 1 ? doubleRule : rule);
            input = shapes[i];
        }
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Total params: {total:N0}"));
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Trainable params: {total - frozen:N0}"));
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Non-trainable params: {frozen:N0}"));
        output.WriteLine(rule);
    }

    /// <summary>Keras's print_row: each field is cut at its column's end (29, 55, 65), and the last character before the next field becomes a space.</summary>
    private static string Row(params string[] fields)
    {
        int[] ends = [29, 55, 65];
        var line = "";
        for (int i = 0; i < fields.Length; i++)
        {
            if (i > 0) line = line[..^1] + " ";
            line += fields[i];
            if (line.Length > ends[i]) line = line[..ends[i]];
            line = line.PadRight(ends[i]);
        }
        return line;
    }

    public long ParamCount()
    {
        var shapes = OutputShapes();
        long total = 0;
        var input = InputShape;
        for (int i = 0; i < _layers.Count; i++) { total += _layers[i].ParamCount(input); input = shapes[i]; }
        return total;
    }

    /// <summary>
    /// The Caffe net: an Input of batchSize x C x H x W plus labels, the layers, then
    /// SoftmaxWithLoss and Accuracy on the logits, and a Softmax "prob" in the TEST phase.
    /// <paramref name="notes"/> collects the Keras semantics that had to be translated.
    /// </summary>
    public NetParameter ToNetParameter(int batchSize, List<string>? notes = null)
    {
        notes ??= [];
        var input = InputShape;
        if (input.Length is not (1 or 3)) throw new CortadoException($"InputShape must be (height, width, channels) or (features), got ({string.Join(", ", input)})");
        var net = new NetParameter { Name = Name };
        string dims = input.Length == 3 ? $"dim: {input[2]} dim: {input[0]} dim: {input[1]}" : $"dim: {input[0]}";
        net.Layer.Add(TextFormat.Parse<LayerParameter>(
            $"name: \"data\" type: \"Input\" top: \"data\" top: \"label\" input_param {{ shape {{ dim: {batchSize} {dims} }} shape {{ dim: {batchSize} }} }}"));
        if (input.Length == 3) notes.Add($"input: Keras's channel-last ({input[0]}, {input[1]}, {input[2]}) is Caffe's channel-first {input[2]} x {input[0]} x {input[1]}");
        string blob = "data";
        var shape = input;
        var layers = new List<LayerParameter>();
        foreach (var layer in _layers)
        {
            blob = layer.ToCaffe(blob, shape, layers, notes);
            shape = layer.OutputShape(shape);
        }
        if (layers[^1].Type != "Softmax")
        {
            // No softmax at the end: an output net only (an imported model), without loss layers.
            net.Layer.AddRange(layers);
            return net;
        }
        // Cross-entropy on softmax probabilities is trained as Caffe's SoftmaxWithLoss on the logits.
        var softmax = layers[^1];
        layers.RemoveAt(layers.Count - 1);
        string logits = softmax.Bottom[0];
        net.Layer.AddRange(layers);
        net.Layer.Add(new LayerParameter { Name = "loss", Type = "SoftmaxWithLoss", Bottom = { logits, "label" }, Top = { "loss" } });
        net.Layer.Add(new LayerParameter { Name = "accuracy", Type = "Accuracy", Bottom = { logits, "label" }, Top = { "accuracy" } });
        foreach (string metric in _topKMetrics)
        {
            net.Layer.Add(new LayerParameter { Name = metric, Type = "Accuracy", Bottom = { logits, "label" }, Top = { metric }, AccuracyParam = new AccuracyParameter { TopK = TopK } });
            notes.Add($"metric: {metric} (k = {TopK}) is Caffe's Accuracy with top_k: {TopK}; both count ties at the boundary as in the top k");
        }
        net.Layer.Add(new LayerParameter { Name = "prob", Type = "Softmax", Bottom = { logits }, Top = { "prob" }, Include = { new NetStateRule { Phase = Phase.Test } } });
        notes.Add($"loss: {_loss ?? "categorical_crossentropy"} on softmax outputs is Caffe's SoftmaxWithLoss on the logits; Keras clips probabilities to [1e-7, 1 - 1e-7] (at most 16.1 per sample), Caffe at FLT_MIN (at most 87.34)");
        return net;
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
        string header = $"# Exported by Cortado from the Keras model '{Name}'. Keras semantics translated for Caffe:\n" + string.Concat(notes.Select(n => $"#   {n}\n"));
        IO.AtomicFile.WriteAllText(netPath, header + TextFormat.Print(net));
        IO.AtomicFile.WriteAllText(solverPath, $"# Keras optimizer {_optimizer!.Describe()}; no weight decay; the data must be fed already scaled as for Keras.\n" + TextFormat.Print(solver));
        return (netPath, solverPath);
    }

    /// <summary>
    /// Trains on samples <paramref name="x"/> (channel-last, flattened) with class labels <paramref name="y"/>,
    /// printing Keras-style lines per epoch; validation from validationData or the last validationSplit of x.
    /// </summary>
    public History Fit(float[] x, int[] y, int batchSize = 32, int epochs = 1, (float[] X, int[] Y)? validationData = null,
        double validationSplit = 0, bool shuffle = true, TextWriter? output = null, IEnumerable<Callbacks.Callback>? callbacks = null)
    {
        if (_optimizer == null) throw new CortadoException("compile the model before Fit");
        int sampleSize = InputShape.Aggregate(1, (a, b) => a * b);
        int count = CheckSamples(x, y, sampleSize);
        if (validationData == null && validationSplit > 0)
        {
            int validation = (int)(count * validationSplit);
            validationData = (x[((count - validation) * sampleSize)..(count * sampleSize)], y[(count - validation)..count]);
            count -= validation;
        }
        var solver = EnsureSolver(batchSize);
        var random = new Random(Seed);
        var order = Enumerable.Range(0, count).ToArray();
        var history = new History();
        var hooks = callbacks?.ToList() ?? [];
        // The optimizer's rate is the solver's base_lr, read by the policy at every iteration.
        var state = new Callbacks.TrainingState(() => solver.Param.BaseLr, rate => solver.Param.BaseLr = (float)rate, this);
        foreach (var hook in hooks) hook.OnTrainBegin(state);
        for (int epoch = 1; epoch <= epochs && !state.StopTraining; epoch++)
        {
            foreach (var hook in hooks) hook.OnEpochBegin(epoch - 1, state);
            if (shuffle) random.Shuffle(order);
            var watch = Stopwatch.StartNew();
            double lossSum = 0, accuracySum = 0;
            var topKSums = new double[_topKMetrics.Length];
            for (int start = 0; start < count; start += batchSize)
            {
                int n = Math.Min(batchSize, count - start);
                Feed(solver.Net, x, y, order.AsSpan(start, n), sampleSize);
                float loss = 0;
                void Record(int _, float l, float __, float ___) => loss = l;
                solver.IterationDone += Record;
                solver.Step(1);
                solver.IterationDone -= Record;
                lossSum += loss * n;
                accuracySum += solver.Net.Blob("accuracy").Data[0] * n;
                for (int k = 0; k < _topKMetrics.Length; k++) topKSums[k] += solver.Net.Blob(_topKMetrics[k]).Data[0] * n;
            }
            history.Add("loss", lossSum / count);
            history.Add("acc", accuracySum / count);
            string line = $"{count}/{count} [==============================] - {watch.Elapsed.TotalSeconds:F0}s {watch.Elapsed.TotalMilliseconds * 1000 / count:F0}us/step - loss: {lossSum / count:F4} - acc: {accuracySum / count:F4}";
            for (int k = 0; k < _topKMetrics.Length; k++)
            {
                history.Add(_topKMetrics[k], topKSums[k] / count);
                line += $" - {_topKMetrics[k]}: {topKSums[k] / count:F4}";
            }
            if (validationData is { } v)
            {
                var validation = EvaluateMetrics(v.X, v.Y, batchSize);
                foreach (var (name, value) in validation)
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

    /// <summary>Fit with one-hot targets (categorical_crossentropy's form): each row's largest entry is the class.</summary>
    public History Fit(float[] x, float[][] oneHot, int batchSize = 32, int epochs = 1, double validationSplit = 0, bool shuffle = true, TextWriter? output = null,
        IEnumerable<Callbacks.Callback>? callbacks = null) =>
        Fit(x, oneHot.Select(ArgMax).ToArray(), batchSize, epochs, null, validationSplit, shuffle, output, callbacks);

    private static int ArgMax(float[] row)
    {
        int best = 0;
        for (int i = 1; i < row.Length; i++) if (row[i] > row[best]) best = i;
        return best;
    }

    /// <summary>Mean loss and accuracy over the samples, with dropout off (Keras's test mode).</summary>
    public (double Loss, double Accuracy) Evaluate(float[] x, int[] y, int batchSize = 32)
    {
        var metrics = EvaluateMetrics(x, y, batchSize);
        return (metrics["loss"], metrics["acc"]);
    }

    /// <summary>Every compiled metric's mean over the samples, by Keras's history name (loss, acc, then the top-k metrics).</summary>
    public IReadOnlyDictionary<string, double> EvaluateMetrics(float[] x, int[] y, int batchSize = 32)
    {
        int sampleSize = InputShape.Aggregate(1, (a, b) => a * b);
        int count = CheckSamples(x, y, sampleSize);
        var net = InferenceNet(batchSize);
        var all = Enumerable.Range(0, count).ToArray();
        var blobs = new[] { ("loss", "loss"), ("acc", "accuracy") }.Concat(_topKMetrics.Select(m => (m, m))).ToArray();
        var sums = new double[blobs.Length];
        for (int start = 0; start < count; start += batchSize)
        {
            int n = Math.Min(batchSize, count - start);
            Feed(net, x, y, all.AsSpan(start, n), sampleSize);
            net.Forward();
            for (int i = 0; i < blobs.Length; i++) sums[i] += net.Blob(blobs[i].Item2).Data[0] * n;
        }
        return blobs.Select((b, i) => (b.Item1, sums[i] / count)).ToDictionary(p => p.Item1, p => p.Item2);
    }

    public float[] Predict(float[] x, int batchSize = 32)
    {
        int sampleSize = InputShape.Aggregate(1, (a, b) => a * b);
        if (x.Length % sampleSize != 0) throw new CortadoException($"Predict: {x.Length} values are not whole samples of {string.Join(" x ", InputShape)}");
        int count = x.Length / sampleSize;
        var net = InferenceNet(batchSize);
        int classes = OutputShapes()[^1][0];
        var result = new float[count * classes];
        var all = Enumerable.Range(0, count).ToArray();
        var labels = new int[count];
        for (int start = 0; start < count; start += batchSize)
        {
            int n = Math.Min(batchSize, count - start);
            Feed(net, x, labels, all.AsSpan(start, n), sampleSize);
            net.Forward();
            net.Blob("prob").Data.CopyTo(result.AsSpan(start * classes, n * classes));
        }
        return result;
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
            if (i == 0 && layer is Dense dense) values = WeightLayout.DenseToCaffe(values, input[0], dense.Units, flattened);
            values.CopyTo(blobs[i].Data);
        }
    }

    /// <summary>Sets every layer's weights from a Keras HDF5 file; layer names and array shapes must match the model.</summary>
    public void LoadWeights(string path)
    {
        var weights = KerasWeights.Read(path);
        foreach (var layer in _layers)
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

    /// <summary>The net for inference (deploy): Input of batch x C x H x W, the layers, Softmax "prob".</summary>
    public NetParameter ToDeployNet(int batchSize, List<string>? notes = null)
    {
        var net = ToNetParameter(batchSize, notes);
        var input = net.Layer[0];
        input.Top.RemoveAt(1);
        input.InputParam.Shape.RemoveAt(1);
        var deploy = new NetParameter { Name = net.Name };
        deploy.Layer.AddRange(net.Layer.Where(l => l.Type is not ("SoftmaxWithLoss" or "Accuracy")));
        foreach (var layer in deploy.Layer) layer.Include.Clear();
        return deploy;
    }

    /// <summary>Sets weights given in Caffe's layout, by the names of the model's own Caffe layers (keras-export's way in).</summary>
    internal void CopyCaffeWeights(NetParameter weights) => Trained().Net.CopyTrainedLayersFrom(weights, "the Caffe weights");

    /// <summary>The model's current weights as a .caffemodel body (layer names are the Keras names).</summary>
    public NetParameter ToCaffeModel() => Trained().Net.ToProto();

    /// <summary>The shape a layer of this model receives.</summary>
    internal int[] InputOf(KerasLayer layer)
    {
        int index = _layers.IndexOf(layer);
        return index <= 0 ? InputShape : OutputShapes()[index - 1];
    }

    private (KerasLayer Layer, int[] Input, int[]? Flattened) Locate(string layerName)
    {
        int index = _layers.FindIndex(l => l.Name == layerName);
        if (index < 0) throw new CortadoException($"the model has no layer '{layerName}'; its layers are {string.Join(", ", _layers.Select(l => l.Name))}");
        var shapes = OutputShapes();
        var input = index == 0 ? InputShape : shapes[index - 1];
        int[]? flattened = null;
        for (int i = index - 1; i >= 0 && _layers[i] is Flatten or Dropout or Activation; i--)
            if (_layers[i] is Flatten) { flattened = i == 0 ? InputShape : shapes[i - 1]; if (flattened.Length != 3) flattened = null; break; }
        return (_layers[index], input, flattened);
    }

    private Solver Trained()
    {
        if (_optimizer == null) _optimizer = new SGD(); // weights can be set and read before Compile
        return EnsureSolver(1);
    }

    private Solver EnsureSolver(int batchSize)
    {
        if (_solver != null) return _solver;
        _solver = SolverFactory.Create(Solver(batchSize));
        if (_carriedWeights != null) _solver.Net.CopyTrainedLayersFrom(_carriedWeights);
        _carriedWeights = null;
        return _solver;
    }

    private SolverParameter Solver(int batchSize)
    {
        var solver = ToSolverParameter();
        solver.NetParam = ToNetParameter(batchSize);
        return solver;
    }

    private Net InferenceNet(int batchSize)
    {
        if (_optimizer == null) throw new CortadoException("compile the model first");
        var solver = EnsureSolver(batchSize);
        if (_inference == null)
        {
            _inference = new Net(ToNetParameter(batchSize), Phase.Test, new NetOptions { Random = new CaffeRandom(Seed) });
            _inference.ShareTrainedLayersWith(solver.Net);
        }
        return _inference;
    }

    /// <summary>Copies the chosen samples into the net's data blob, channel-last to channel-first, and their labels.</summary>
    private void Feed(Net net, float[] x, int[] y, ReadOnlySpan<int> samples, int sampleSize)
    {
        // A flat input (features,) is the same in both layouts; an image goes channel-last to channel-first.
        var (h, w, c) = InputShape.Length == 3 ? (InputShape[0], InputShape[1], InputShape[2]) : (1, 1, InputShape[0]);
        var data = net.Blob("data");
        var labels = net.Blob("label");
        if (InputShape.Length == 3) data.Reshape(samples.Length, c, h, w);
        else data.Reshape(samples.Length, c);
        labels.Reshape(samples.Length);
        var target = data.Data;
        for (int n = 0; n < samples.Length; n++)
        {
            int source = samples[n] * sampleSize, offset = n * sampleSize;
            for (int i = 0; i < h; i++)
                for (int j = 0; j < w; j++)
                    for (int k = 0; k < c; k++) target[offset + (k * h + i) * w + j] = x[source + (i * w + j) * c + k];
            labels.Data[n] = y[samples[n]];
        }
    }

    private int CheckSamples(float[] x, int[] y, int sampleSize)
    {
        if (x.Length % sampleSize != 0 || x.Length / sampleSize != y.Length)
            throw new CortadoException($"x holds {x.Length} values ({(double)x.Length / sampleSize:G4} samples of {string.Join(" x ", InputShape)}) but y holds {y.Length} labels");
        int classes = OutputShapes()[^1][0];
        int bad = Array.FindIndex(y, label => label < 0 || label >= classes);
        if (bad >= 0) throw new CortadoException($"label {y[bad]} of sample {bad} is outside the model's {classes} classes");
        return y.Length;
    }
}
