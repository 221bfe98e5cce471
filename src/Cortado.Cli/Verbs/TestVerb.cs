using Cortado.Compute;
using Cortado.Layers;
using Cortado.Nets;
using Cortado.Proto;
using static Cortado.Logging.CppFormat;

namespace Cortado.Cli.Verbs;

/// <summary>
/// Caffe's <c>caffe test</c>: runs a net in the TEST phase with trained weights for N batches,
/// printing "Batch i, name = v" per output, then "Loss: x" and each output's mean.
/// </summary>
public sealed class TestVerb : IVerb
{
    public string Name => "test";
    public string Summary => "score a trained net on its TEST data (as 'caffe test')";
    public string Usage => "--model NET.prototxt --weights W.caffemodel [--iterations N] [--stage S] [--level L] [--gpu N] [--backend B]";
    public bool IsCaffeCommand => true;
    public IReadOnlyList<Flag> Flags =>
    [
        new("model", "the net prototxt (its TEST phase is used)"),
        new("weights", "trained weights (.caffemodel), comma-separated for several"),
        .. NetVerbOptions.Flags,
    ];

    public int Run(VerbArguments arguments, VerbConsole console)
    {
        arguments.ExpectPositional(0);
        string model = arguments.Require("model");
        string weights = arguments.Require("weights");
        var (iterations, state) = NetVerbOptions.Read(arguments, Name, Phase.Test);
        var log = console.Log;
        using var choice = ComputeChoice.For(arguments, log);
        using var net = new Net(ProtoFiles.ReadNetText(model), state, new NetOptions { Log = log, Random = new CaffeRandom(1), Compute = choice.Compute });
        foreach (var file in weights.Split(',', StringSplitOptions.RemoveEmptyEntries))
            net.CopyTrainedLayersFrom(ProtoFiles.ReadWeights(file), file);
        log.Info("caffe.cs", $"Running for {iterations} iterations.");

        var names = new List<string>();
        var weightsOfOutputs = new List<float>();
        var sums = new List<double>();
        double loss = 0;
        for (int i = 0; i < iterations; i++)
        {
            loss += net.Forward();
            int index = 0;
            foreach (var blob in net.Outputs)
            {
                float lossWeight = net.LossWeightOf(blob);
                foreach (float value in blob.Data)
                {
                    if (i == 0) { names.Add(blob.Name); weightsOfOutputs.Add(lossWeight); sums.Add(0); }
                    sums[index++] += value;
                    log.Info("caffe.cs", $"Batch {i}, {blob.Name} = {G(value)}");
                }
            }
        }
        log.Info("caffe.cs", $"Loss: {G(loss / iterations)}");
        for (int k = 0; k < names.Count; k++)
        {
            double mean = sums[k] / iterations;
            string lossText = weightsOfOutputs[k] != 0f ? $" (* {G(weightsOfOutputs[k])} = {G(weightsOfOutputs[k] * mean)} loss)" : "";
            log.Info("caffe.cs", $"{names[k]} = {G(mean)}{lossText}");
        }
        return 0;
    }
}
