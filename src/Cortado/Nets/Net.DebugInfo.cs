using static Cortado.Logging.CppFormat;

namespace Cortado.Nets;

/// <summary>
/// Caffe's debug_info: after each layer's forward, the mean absolute value of its tops and
/// parameters; after each backward, of the diffs it computed; after the whole backward, the L1 and
/// L2 norms of all parameters and their gradients; before the update, each parameter's data and
/// update. The lines are Caffe's (net.cpp), so tools and eyes used to them read them.
/// </summary>
public sealed partial class Net
{
    /// <summary>Whether forward and backward log Caffe's per-layer debug lines (the solver turns it on for display iterations).</summary>
    public bool DebugInfo { get; set; }

    private float MeanAbs(Compute.DeviceSpan<float> values, int count) => count == 0 ? 0f : Context.Compute.Asum(values) / count;

    /// <summary>Caffe names a parameter by its ParamSpec name, or else by its index within the layer.</summary>
    private string ParamDisplayName(int layer, int blob)
    {
        var specs = _layers[layer].Param.Param;
        return blob < specs.Count && specs[blob].Name.Length > 0 ? specs[blob].Name : blob.ToString(System.Globalization.CultureInfo.InvariantCulture);
    }

    private void ForwardDebugInfo(int layer)
    {
        var compute = Context.Compute;
        string name = _layers[layer].Name;
        foreach (var top in _tops[layer])
            _log.Info("net.cs", $"    [Forward] Layer {name}, top blob {top.Name} data: {G(MeanAbs(top.ReadData(compute), top.Count))}");
        for (int p = 0; p < _layers[layer].Blobs.Count; p++)
        {
            var blob = _layers[layer].Blobs[p];
            _log.Info("net.cs", $"    [Forward] Layer {name}, param blob {ParamDisplayName(layer, p)} data: {G(MeanAbs(blob.ReadData(compute), blob.Count))}");
        }
    }

    private void BackwardDebugInfo(int layer)
    {
        var compute = Context.Compute;
        string name = _layers[layer].Name;
        for (int b = 0; b < _bottoms[layer].Count; b++)
        {
            if (!_bottomNeedsBackward[layer][b]) continue;
            var bottom = _bottoms[layer][b];
            _log.Info("net.cs", $"    [Backward] Layer {name}, bottom blob {bottom.Name} diff: {G(MeanAbs(bottom.ReadDiff(compute), bottom.Count))}");
        }
        for (int p = 0; p < _layers[layer].Blobs.Count; p++)
        {
            if (!_layers[layer].ParamPropagateDown[p]) continue;
            var blob = _layers[layer].Blobs[p];
            _log.Info("net.cs", $"    [Backward] Layer {name}, param blob {p} diff: {G(MeanAbs(blob.ReadDiff(compute), blob.Count))}");
        }
    }

    private void ParamNormsDebugInfo()
    {
        var compute = Context.Compute;
        double asumData = 0, asumDiff = 0, sumsqData = 0, sumsqDiff = 0;
        foreach (var blob in _learnableParams)
        {
            asumData += compute.Asum(blob.ReadData(compute));
            asumDiff += compute.Asum(blob.ReadDiff(compute));
            sumsqData += compute.SumSquares(blob.ReadData(compute));
            sumsqDiff += compute.SumSquares(blob.ReadDiff(compute));
        }
        _log.Error("net.cs", $"    [Backward] All net params (data, diff): L1 norm = ({G((float)asumData)}, {G((float)asumDiff)}); " +
            $"L2 norm = ({G(MathF.Sqrt((float)sumsqData))}, {G(MathF.Sqrt((float)sumsqDiff))})");
    }

    /// <summary>Each parameter's mean absolute data and update, logged by the solver before it applies the update.</summary>
    public void UpdateDebugInfo()
    {
        var compute = Context.Compute;
        for (int i = 0; i < _params.Count; i++)
        {
            var blob = _params[i];
            var (layer, index) = _paramLayerIndices[i];
            string name = _layers[layer].Name, display = ParamDisplayName(layer, index);
            float diff = MeanAbs(blob.ReadDiff(compute), blob.Count);
            if (_paramOwners[i] < 0)
            {
                _log.Info("net.cs", $"    [Update] Layer {name}, param {display} data: {G(MeanAbs(blob.ReadData(compute), blob.Count))}; diff: {G(diff)}");
                continue;
            }
            var (ownerLayer, ownerIndex) = _paramLayerIndices[_paramOwners[i]];
            _log.Info("net.cs", $"    [Update] Layer {name}, param blob {display} (owned by layer {_layers[ownerLayer].Name}, param {ParamDisplayName(ownerLayer, ownerIndex)}) diff: {G(diff)}");
        }
    }
}
