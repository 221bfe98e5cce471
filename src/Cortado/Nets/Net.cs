using System.Diagnostics;
using System.Globalization;
using Cortado.Compute;
using Cortado.Errors;
using Cortado.Layers;
using Cortado.Logging;
using Cortado.Proto;
using Cortado.Tensors;

namespace Cortado.Nets;

/// <summary>
/// A net built from a <see cref="NetParameter"/> and a state (phase, level, stages), by Caffe's
/// pipeline: filter layers by the state's rules, insert splits, create each layer from the
/// registry, connect blobs by name (a top named like its bottom works in place), set each layer
/// up (inferring shapes and logging them as Caffe does), share parameters by name, and decide
/// which layers need backward. Forward returns the weighted loss; Backward fills the diffs.
/// </summary>
public sealed partial class Net : IDisposable
{
    private readonly List<Layer> _layers = [];
    private readonly List<Blob> _blobs = [];
    private readonly Dictionary<string, int> _blobIndex = new(StringComparer.Ordinal);
    private readonly List<List<Blob>> _bottoms = [], _tops = [];
    private readonly List<List<int>> _bottomIds = [], _topIds = [];
    private readonly List<bool> _layerNeedsBackward = [];
    private readonly List<List<bool>> _bottomNeedsBackward = [];
    private readonly List<Blob> _params = [], _learnableParams = [];
    private readonly List<int> _paramOwners = [];
    private readonly List<(int Layer, int Blob)> _paramLayerIndices = [];
    private readonly List<float> _paramsLr = [], _paramsDecay = [];
    private readonly List<string> _paramDisplayNames = [];
    private readonly List<string> _learnableNames = [];
    private readonly List<Blob> _outputs = [];
    private readonly CaffeLog _log;

    public Net(NetParameter param, NetState state, NetOptions? options = null)
    {
        options ??= new NetOptions();
        _log = options.Log;
        if (param.Layer.Count == 0)
            throw new CortadoException(param.Layers.Count > 0
                ? $"net '{param.Name}' is in Caffe's V1 form (its {param.Layers.Count} 'layers' entries are not read as 'layer'): upgrade it (cortado upgrade-net, or read it through ProtoFiles)"
                : $"net '{param.Name}' has no layers: a net needs at least its data (or Input) layer");
        Name = param.Name;
        State = state;
        DebugInfo = param.DebugInfo;
        Context = new LayerContext(state.Phase, options.Compute, options.Random ?? new CaffeRandom(1), _log) { Shard = options.Shard };
        var filtered = SplitInsertion.Insert(NetFilter.Filter(param, state));
        try { Build(filtered, param.ForceBackward); }
        catch (LayerException e) when (StageHint(param, state) is { } hint)
        {
            Dispose();
            throw new LayerException(e.LayerName, e.LayerType, e.Problem + hint);
        }
        catch
        {
            // Layers set up before the failure (a data layer's reader thread) must not outlive the net that failed.
            Dispose();
            throw;
        }
        _fusesNextRectifier = FindFusedRectifiers();
        _fusesPreviousRectifier = FindRectifiersFusedBackward();
        _pooledAfter = FindPoolingsFused();
    }

    /// <summary>
    /// When layers of this phase were left out only for want of a stage (Caffe's examples keep
    /// test-time variants that way), what to pass; null when no stage would bring any in.
    /// </summary>
    private static string? StageHint(NetParameter param, NetState state)
    {
        var wanted = param.Layer
            .Where(l => l.Include.Count > 0 && !l.Include.Any(r => NetFilter.StateMeetsRule(state, r)))
            .SelectMany(l => l.Include.Where(r => (!r.HasPhase || r.Phase == state.Phase) && r.Stage.Any(s => !state.Stage.Contains(s)))
                .Select(r => (Layer: l.Name, Stages: string.Join(",", r.Stage))))
            .ToList();
        if (wanted.Count == 0) return null;
        var stages = wanted.Select(w => w.Stages).Distinct().ToList();
        return $"; layers {string.Join(", ", wanted.Select(w => $"'{w.Layer}'").Distinct())} are left out of the {ProtoEnum.Name(state.Phase)} net " +
            $"because they need stage {string.Join(" or ", stages.Select(s => $"'{s}'"))}: pass --stage {stages[0]}";
    }

    public Net(NetParameter param, Phase phase, NetOptions? options = null) : this(param, StateFor(param, phase), options) { }

    public string Name { get; }
    public NetState State { get; }
    public Phase Phase => State.Phase;
    public LayerContext Context { get; }
    public IReadOnlyList<Layer> Layers => _layers;
    public IReadOnlyList<Blob> Blobs => _blobs;
    public IReadOnlyList<IReadOnlyList<Blob>> Bottoms => _bottoms;
    public IReadOnlyList<IReadOnlyList<Blob>> Tops => _tops;
    /// <summary>Blobs no layer reads: what the net produces (losses, accuracies, predictions).</summary>
    public IReadOnlyList<Blob> Outputs => _outputs;
    /// <summary>Every parameter blob, shared ones included, in layer order.</summary>
    public IReadOnlyList<Blob> Params => _params;
    /// <summary>The parameters the solver updates: each shared parameter once, its owner.</summary>
    public IReadOnlyList<Blob> LearnableParams => _learnableParams;
    public IReadOnlyList<float> ParamsLr => _paramsLr;
    public IReadOnlyList<float> ParamsWeightDecay => _paramsDecay;
    /// <summary>Where a learnable parameter lives, for messages ("parameter 0 of layer 'conv1'").</summary>
    public string LearnableParamName(int index) => _learnableNames[index];

    /// <summary>
    /// Makes this net's layers use the parameter buffers of the same-named layers of
    /// <paramref name="source"/> (a test net sharing the train net's weights, as Caffe's ShareTrainedLayersWith).
    /// </summary>
    public void ShareTrainedLayersWith(Net source)
    {
        foreach (var layer in _layers)
        {
            var trained = source._layers.FirstOrDefault(l => l.Name == layer.Name);
            if (trained == null) continue;
            if (trained.Blobs.Count != layer.Blobs.Count)
                throw new LayerException(layer.Name, layer.Type, $"has {layer.Blobs.Count} parameter blobs in the {ProtoEnum.Name(Phase)} net but {trained.Blobs.Count} in the {ProtoEnum.Name(source.Phase)} net");
            for (int i = 0; i < layer.Blobs.Count; i++)
            {
                if (!layer.Blobs[i].ShapeEquals(trained.Blobs[i]))
                    throw new LayerException(layer.Name, layer.Type, $"parameter {i} has shape {layer.Blobs[i].ShapeString} in the {ProtoEnum.Name(Phase)} net but {trained.Blobs[i].ShapeString} in the {ProtoEnum.Name(source.Phase)} net");
                layer.Blobs[i].ShareData(trained.Blobs[i]);
            }
        }
    }

    /// <summary>The loss weight of the layer top that is <paramref name="blob"/> (0 when it is no loss).</summary>
    public float LossWeightOf(Blob blob)
    {
        for (int i = 0; i < _layers.Count; i++)
            for (int t = 0; t < _tops[i].Count; t++)
                if (ReferenceEquals(_tops[i][t], blob) && _layers[i].LossWeight(t) != 0f) return _layers[i].LossWeight(t);
        return 0f;
    }

    /// <summary>The first layer (in forward order) whose output holds a NaN or infinity, or null.</summary>
    public Layers.Layer? FirstNonFiniteLayer()
    {
        for (int i = 0; i < _layers.Count; i++)
            foreach (var top in _tops[i])
                foreach (float v in top.HostData)
                    if (!float.IsFinite(v)) return _layers[i];
        return null;
    }

    public bool LayerNeedsBackward(int layer) => _layerNeedsBackward[layer];
    public IReadOnlyList<bool> BottomNeedsBackward(int layer) => _bottomNeedsBackward[layer];

    public bool HasBlob(string name) => _blobIndex.ContainsKey(name);

    public Blob Blob(string name) =>
        _blobIndex.TryGetValue(name, out int index) ? _blobs[index] : throw new CortadoException($"net '{Name}' has no blob named '{name}'");

    public Layer Layer(string name) =>
        _layers.FirstOrDefault(l => l.Name == name) ?? throw new CortadoException($"net '{Name}' has no layer named '{name}'");

    public float Forward() => ForwardFromTo(0, _layers.Count - 1);

    /// <summary>Stops layers that hold threads or files (the Data layer's reader).</summary>
    public void Dispose()
    {
        foreach (var layer in _layers.OfType<IDisposable>()) layer.Dispose();
    }

    public float ForwardFromTo(int start, int end)
    {
        float loss = 0f;
        for (int i = start; i <= end; i++)
        {
            // A fused ReLU runs inside the convolution only when both are in this pass, and never
            // under debug_info, whose log shows the convolution's output before the ReLU as Caffe's does.
            bool fused = _fusesNextRectifier[i] && i < end && !DebugInfo;
            // So does a fused pooling, after the ReLU if there is one.
            int pool = _pooledAfter[i];
            bool pools = pool >= 0 && pool <= end && (pool == i + 1 || fused) && !DebugInfo;
            var convolution = fused || pools ? (BaseConvolutionLayer)_layers[i] : null;
            if (convolution != null)
            {
                convolution.RectifyOutput = fused;
                convolution.PoolOutput = pools ? ((PoolingLayer)_layers[pool], _tops[pool][0]) : null;
            }
            long started = LayerTimed != null ? Stopwatch.GetTimestamp() : 0;
            try { loss += _layers[i].Forward(_bottoms[i], _tops[i]); }
            finally
            {
                if (convolution != null) { convolution.RectifyOutput = false; convolution.PoolOutput = null; }
            }
            if (LayerTimed != null) ReportTime(i, forward: true, started);
            if (DebugInfo) ForwardDebugInfo(i);
            if (fused) i++;
            if (pools && convolution!.Pooled) i = pool;
        }
        return loss;
    }

    public void Backward()
    {
        for (int i = _layers.Count - 1; i >= 0; i--)
        {
            if (!_layerNeedsBackward[i]) continue;
            // A fused ReLU's backward runs inside the layer after it, never under debug_info, which logs the ReLU's diff.
            bool fused = _fusesPreviousRectifier[i] && _layerNeedsBackward[i - 1] && _bottomNeedsBackward[i - 1][0] && _bottomNeedsBackward[i][0] && !DebugInfo;
            var rectifying = fused ? (IRectifiesInputGradient)_layers[i] : null;
            if (rectifying != null) rectifying.RectifyInputGradient = true;
            long started = LayerTimed != null ? Stopwatch.GetTimestamp() : 0;
            try { _layers[i].Backward(_tops[i], _bottomNeedsBackward[i], _bottoms[i]); }
            finally { if (rectifying != null) rectifying.RectifyInputGradient = false; }
            if (LayerTimed != null) ReportTime(i, forward: false, started);
            if (DebugInfo) BackwardDebugInfo(i);
            LayerBackwardDone?.Invoke(i);
            if (!fused) continue;
            i--; // the ReLU, done
            LayerBackwardDone?.Invoke(i);
        }
        if (DebugInfo) ParamNormsDebugInfo();
    }

    /// <summary>
    /// When set, called after each layer's forward or backward pass that ran in <see cref="ForwardFromTo"/>
    /// or <see cref="Backward"/>, with the layer's index, whether it was forward, and its milliseconds
    /// (the backend synchronised first). A layer that ran inside another (a fused ReLU or pooling) is not
    /// called: its time is in that layer's. So a profile shows the passes as training runs them.
    /// </summary>
    public Action<int, bool, double>? LayerTimed { get; set; }

    private void ReportTime(int layer, bool forward, long started)
    {
        Context.Compute.Synchronize();
        LayerTimed?.Invoke(layer, forward, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
    }

    /// <summary>After layer i's backward, with its parameter gradients final unless an earlier layer shares them (data-parallel training starts their reduction here).</summary>
    public event Action<int>? LayerBackwardDone;

    public float ForwardBackward()
    {
        float loss = Forward();
        Backward();
        return loss;
    }

    public void ClearParamDiffs()
    {
        foreach (var blob in _learnableParams) Context.Compute.Fill(blob.WriteDiff(Context.Compute), 0f);
    }

    /// <summary>
    /// Copies parameter blobs from a trained net by layer name (fine-tuning, testing), logging
    /// Caffe's "Copying source layer" and "Ignoring source layer" lines. Weights that reach none of
    /// this net's learnable layers are almost surely the wrong file: that gets a warning; a file
    /// with no layers at all is an error.
    /// </summary>
    public void CopyTrainedLayersFrom(NetParameter trained, string source = "the weights")
    {
        if (trained.Layer.Count == 0)
            throw new ModelFileException(source, "holds no layers (an empty or non-Caffe file?); expected a NetParameter with trained layers");
        int copied = 0;
        foreach (var stored in trained.Layer)
        {
            var layer = _layers.FirstOrDefault(l => l.Name == stored.Name);
            if (layer == null)
            {
                _log.Info("net.cs", $"Ignoring source layer {stored.Name}");
                continue;
            }
            _log.Info("net.cs", $"Copying source layer {stored.Name} Type:{stored.Type} #blobs={stored.Blobs.Count}");
            if (stored.Blobs.Count != layer.Blobs.Count)
                throw new LayerException(layer.Name, layer.Type, $"{source} hold {stored.Blobs.Count} parameter blobs for this layer, but it has {layer.Blobs.Count}");
            if (layer.Blobs.Count > 0) copied++;
            for (int i = 0; i < layer.Blobs.Count; i++)
            {
                var shape = Tensors.Blob.ProtoShape(stored.Blobs[i], $"{source}, layer '{stored.Name}' parameter {i}");
                if (!layer.Blobs[i].Shape.SequenceEqual(shape))
                    throw new LayerException(layer.Name, layer.Type,
                        $"parameter {i} in {source} has shape {string.Join(" ", shape)}, but the net's has shape {layer.Blobs[i].ShapeString}; was the net changed (a different num_output, input size or pooling) since these weights were saved?");
                layer.Blobs[i].FromProto(stored.Blobs[i], reshape: false);
            }
        }
        if (copied == 0 && _layers.Any(l => l.Blobs.Count > 0))
            _log.Warning("net.cs", $"{source} gave weights to none of net '{Name}''s learnable layers (no layer names match): " +
                "the net keeps its filler values. Is it the right file for this net?");
    }

    /// <summary>The net as a NetParameter with its learned blobs (the body of a .caffemodel).</summary>
    public NetParameter ToProto(bool writeDiff = false)
    {
        var proto = new NetParameter { Name = Name };
        foreach (var layer in _layers)
        {
            var layerProto = layer.Param.Clone();
            layerProto.Blobs.Clear();
            foreach (var blob in layer.Blobs) layerProto.Blobs.Add(blob.ToProto(writeDiff));
            proto.Layer.Add(layerProto);
        }
        return proto;
    }

    private static NetState StateFor(NetParameter param, Phase phase)
    {
        var state = param.State?.Clone() ?? new NetState();
        state.Phase = phase;
        return state;
    }

    private void Build(NetParameter param, bool forceBackward)
    {
        var available = new HashSet<string>(StringComparer.Ordinal);
        var blobNeedsBackward = new List<bool>();
        long memory = 0;
        var paramNames = new Dictionary<string, int>(StringComparer.Ordinal);

        foreach (var layerParam in param.Layer)
        {
            int index = _layers.Count;
            _log.Info("net.cs", $"Creating Layer {layerParam.Name}");
            var layer = LayerRegistry.Create(layerParam, Context);
            _layers.Add(layer);
            var bottoms = new List<Blob>();
            var bottomIds = new List<int>();
            var bottomNeeds = new List<bool>();
            bool needsBackward = false;
            if (layerParam.PropagateDown.Count > 0 && layerParam.PropagateDown.Count != layerParam.Bottom.Count)
                throw new LayerException(layerParam.Name, layerParam.Type, $"propagate_down has {layerParam.PropagateDown.Count} values for {layerParam.Bottom.Count} bottoms");

            for (int b = 0; b < layerParam.Bottom.Count; b++)
            {
                string name = layerParam.Bottom[b];
                if (!available.Contains(name))
                    throw new LayerException(layerParam.Name, layerParam.Type, _blobIndex.ContainsKey(name)
                        ? $"bottom '{name}' was already read by another layer (is a top name reused?)"
                        : $"bottom '{name}' is not produced by any earlier layer in the {ProtoEnum.Name(Phase)} net");
                int id = _blobIndex[name];
                _log.Info("net.cs", $"{layerParam.Name} <- {name}");
                bottoms.Add(_blobs[id]);
                bottomIds.Add(id);
                bool propagate = layerParam.PropagateDown.Count == 0 || layerParam.PropagateDown[b];
                bool need = blobNeedsBackward[id] && propagate;
                bottomNeeds.Add(need);
                needsBackward |= need;
                available.Remove(name);
            }

            var tops = new List<Blob>();
            var topIds = new List<int>();
            for (int t = 0; t < layerParam.Top.Count; t++)
            {
                string name = layerParam.Top[t];
                bool inPlace = t < layerParam.Bottom.Count && layerParam.Bottom[t] == name;
                int id;
                if (inPlace) id = bottomIds[t];
                else if (_blobIndex.ContainsKey(name))
                    throw new LayerException(layerParam.Name, layerParam.Type, $"top '{name}' is already produced by an earlier layer; only an in-place layer (top named as its bottom) may reuse a name");
                else
                {
                    id = _blobs.Count;
                    _blobs.Add(new Blob { Name = name });
                    _blobIndex[name] = id;
                    blobNeedsBackward.Add(false);
                }
                _log.Info("net.cs", $"{layerParam.Name} -> {name}");
                tops.Add(_blobs[id]);
                topIds.Add(id);
                available.Add(name);
            }

            _bottoms.Add(bottoms);
            _tops.Add(tops);
            _bottomIds.Add(bottomIds);
            _topIds.Add(topIds);
            _log.Info("net.cs", $"Setting up {layerParam.Name}");
            // An error from below (a blob's shape, a file) names the layer it arose in.
            try { layer.SetUp(bottoms, tops); }
            catch (CortadoException e) when (e is not LayerException and not ModelFileException and not NativeLibraryMissingException)
            {
                throw new LayerException(layer.Name, layer.Type, e.Message);
            }
            for (int t = 0; t < tops.Count; t++)
            {
                _log.Info("net.cs", $"Top shape: {tops[t].ShapeString}");
                if (layer.LossWeight(t) != 0f) _log.Info("net.cs", $"    with loss weight {layer.LossWeight(t).ToString(CultureInfo.InvariantCulture)}");
                memory += tops[t].Count;
            }
            _log.Info("net.cs", $"Memory required for data: {memory * sizeof(float)}");

            // Parameters: learning-rate and decay multipliers, sharing by name.
            if (layerParam.Param.Count > layer.Blobs.Count)
                throw new LayerException(layerParam.Name, layerParam.Type, $"{layerParam.Param.Count} param specs given but the layer has {layer.Blobs.Count} parameter blobs");
            for (int p = 0; p < layer.Blobs.Count; p++)
            {
                var spec = p < layerParam.Param.Count ? layerParam.Param[p] : new ParamSpec();
                needsBackward |= spec.LrMult != 0f && layer.ParamPropagateDown[p];
                if (spec.LrMult == 0f) layer.ParamPropagateDown[p] = false;
                AppendParam(layer, index, p, spec, paramNames);
            }

            if (forceBackward)
                for (int b = 0; b < bottomNeeds.Count; b++)
                    if (layer.AllowForceBackward(b)) { bottomNeeds[b] = true; needsBackward = true; }
            _layerNeedsBackward.Add(needsBackward);
            _bottomNeedsBackward.Add(bottomNeeds);
            foreach (int id in topIds) blobNeedsBackward[id] |= needsBackward;
        }

        PruneBackwardNotUnderLoss();
        // Caffe keeps the remaining blob names in a std::set, so outputs come in ordinal name order.
        foreach (var name in available.Order(StringComparer.Ordinal)) _outputs.Add(_blobs[_blobIndex[name]]);
        foreach (var output in _outputs) _log.Info("net.cs", $"This network produces output {output.Name}");
        _log.Info("net.cs", "Network initialization done.");
    }

    private void AppendParam(Layer layer, int layerIndex, int blobIndex, ParamSpec spec, Dictionary<string, int> names)
    {
        var blob = layer.Blobs[blobIndex];
        int id = _params.Count;
        _params.Add(blob);
        _paramLayerIndices.Add((layerIndex, blobIndex));
        _paramDisplayNames.Add(spec.Name.Length > 0 ? spec.Name : $"{layer.Name}[{blobIndex}]");
        if (spec.Name.Length == 0 || !names.TryGetValue(spec.Name, out int ownerId))
        {
            if (spec.Name.Length > 0) names[spec.Name] = id;
            _paramOwners.Add(-1);
            _learnableParams.Add(blob);
            _learnableNames.Add(spec.Name.Length > 0 ? $"'{spec.Name}' of layer '{layer.Name}'" : $"parameter {blobIndex} of layer '{layer.Name}'");
            _paramsLr.Add(spec.LrMult);
            _paramsDecay.Add(spec.DecayMult);
            return;
        }
        // A shared parameter: same buffer as its owner, which the solver updates.
        var owner = _params[ownerId];
        bool strict = spec.ShareMode != ParamSpec.Types.DimCheckMode.Permissive;
        if (strict ? !owner.ShapeEquals(blob) : owner.Count != blob.Count)
            throw new LayerException(layer.Name, layer.Type,
                $"shares parameter '{spec.Name}' of shape {owner.ShapeString} but its own has shape {blob.ShapeString}{(strict ? " (share_mode STRICT)" : "")}");
        _paramOwners.Add(ownerId);
        if (!strict) blob.Reshape(owner.Shape.ToArray());
        blob.ShareData(owner);
        blob.ShareDiff(owner);
        int learnable = _learnableParams.IndexOf(owner);
        if (spec.HasLrMult && _paramsLr[learnable] != spec.LrMult)
            throw new LayerException(layer.Name, layer.Type, $"shares parameter '{spec.Name}' with lr_mult {spec.LrMult}, but its owner has {_paramsLr[learnable]}");
    }

    // A layer whose tops reach no loss needs no backward (Caffe's blobs_under_loss pass).
    private void PruneBackwardNotUnderLoss()
    {
        var underLoss = new HashSet<int>();
        for (int i = _layers.Count - 1; i >= 0; i--)
        {
            bool contributes = false;
            for (int t = 0; t < _tops[i].Count; t++)
                contributes |= _layers[i].LossWeight(t) != 0f || underLoss.Contains(_topIds[i][t]);
            if (!contributes)
            {
                _layerNeedsBackward[i] = false;
                for (int b = 0; b < _bottomNeedsBackward[i].Count; b++) _bottomNeedsBackward[i][b] = false;
                continue;
            }
            foreach (int id in _bottomIds[i]) underLoss.Add(id);
        }
    }
}
