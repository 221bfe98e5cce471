using Cortado.Compute;
using Cortado.Layers;
using Cortado.Logging;
using Cortado.Nets;
using Cortado.Proto;
using Cortado.Tests.Compute;

namespace Cortado.Tests.Nets;

/// <summary>
/// The small training nets the layer-fusion tests build twice, fused and not, and compare bit for
/// bit: the same random weights, inputs and labels each time, so only the fusion differs.
/// </summary>
internal static class FusionNets
{
    public static Net Build(string prototxt, ICompute? compute = null, StringWriter? log = null, bool forceBackward = true, bool debugInfo = false)
    {
        var param = TextFormat.Parse<NetParameter>(prototxt);
        param.ForceBackward = forceBackward;
        var options = new NetOptions { Compute = compute ?? CpuCompute.Instance, Random = new CaffeRandom(3), Log = log is null ? CaffeLog.Null : new CaffeLog(log) };
        var net = new Net(param, Phase.Train, options) { DebugInfo = debugInfo };
        Fill(net);
        return net;
    }

    /// <summary>Random inputs, and labels 0-4 where the net has them.</summary>
    public static void Fill(Net net)
    {
        Reference.Random(net.Blob("data").Count, 4).CopyTo(net.Blob("data").Data);
        if (!net.HasBlob("label")) return;
        var labels = net.Blob("label").Data;
        for (int i = 0; i < labels.Length; i++) labels[i] = i % 5;
    }

    public static int Index(Net net, string layer) => net.Layers.Select((l, i) => (l, i)).Single(p => p.l.Name == layer).i;

    public static int[] Bits(Span<float> values) => values.ToArray().Select(BitConverter.SingleToInt32Bits).ToArray();
}
