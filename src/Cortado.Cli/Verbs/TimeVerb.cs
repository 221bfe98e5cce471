using System.Diagnostics;
using System.Globalization;
using Cortado.Compute;
using Cortado.Layers;
using Cortado.Nets;
using Cortado.Proto;

namespace Cortado.Cli.Verbs;

/// <summary>
/// Caffe's <c>caffe time</c>: builds the net (logging its set-up), runs forward and backward
/// passes, and reports per-layer and total times in Caffe's line format so existing scripts
/// read them. Input blobs are filled with random values (Caffe leaves them at 0).
/// </summary>
public sealed class TimeVerb : IVerb
{
    public string Name => "time";
    public string Summary => "time a net's forward and backward passes, per layer (as 'caffe time')";
    public string Usage => "--model NET.prototxt [--iterations N] [--phase TRAIN|TEST] [--as-trained] [--stage S] [--level L] [--threads T] [--gpu N] [--backend B]";
    public bool IsCaffeCommand => true;
    public IReadOnlyList<Flag> Flags =>
    [
        new("model", "the net prototxt"),
        new("phase", "TRAIN (default) or TEST"),
        new("as_trained", "time the passes as training runs them: layers fused into another (a ReLU, a pooling) take no time of their own, and layers that need no backward are skipped", TakesValue: false),
        .. NetVerbOptions.Flags,
    ];

    public int Run(VerbArguments arguments, VerbConsole console)
    {
        arguments.ExpectPositional(0);
        string modelPath = arguments.Require("model");
        var (iterations, state) = NetVerbOptions.Read(arguments, Name, ParsePhase(arguments.Get("phase") ?? "TRAIN"));
        var log = console.Log;
        using var choice = ComputeChoice.For(arguments, log);
        using var net = new Net(ProtoFiles.ReadNetText(modelPath), state, new NetOptions { Log = log, Random = new CaffeRandom(1), Compute = choice.Compute });
        FillInputs(net);
        var compute = choice.Compute;

        log.Info("caffe.cs", "Performing Forward");
        float initialLoss = net.Forward();
        log.Info("caffe.cs", $"Initial loss: {F(initialLoss)}");
        log.Info("caffe.cs", "Performing Backward");
        net.Backward();

        int layers = net.Layers.Count;
        var forward = new double[layers];
        var backward = new double[layers];
        double forwardTotal = 0, backwardTotal = 0;
        log.Info("caffe.cs", "*** Benchmark begins ***");
        log.Info("caffe.cs", $"Testing for {iterations} iterations.");
        bool asTrained = arguments.Has("as_trained");
        var forwardCalls = new int[layers];
        var backwardCalls = new int[layers];
        if (asTrained)
            net.LayerTimed = (i, isForward, ms) =>
            {
                if (isForward) { forward[i] += ms; forwardCalls[i]++; }
                else { backward[i] += ms; backwardCalls[i]++; }
            };
        var total = Stopwatch.StartNew();
        var timer = new Stopwatch();
        if (asTrained)
        {
            for (int iteration = 1; iteration <= iterations; iteration++)
            {
                var iterationTimer = Stopwatch.StartNew();
                net.Forward();
                forwardTotal += iterationTimer.Elapsed.TotalMilliseconds;
                var backwardTimer = Stopwatch.StartNew();
                net.Backward();
                backwardTotal += backwardTimer.Elapsed.TotalMilliseconds;
                log.Info("caffe.cs", $"Iteration: {iteration} forward-backward time: {F(iterationTimer.Elapsed.TotalMilliseconds)} ms.");
            }
            net.LayerTimed = null;
        }
        else
        {
            for (int iteration = 1; iteration <= iterations; iteration++)
            {
                var iterationTimer = Stopwatch.StartNew();
                for (int i = 0; i < layers; i++)
                {
                    timer.Restart();
                    net.Layers[i].Forward(net.Bottoms[i], net.Tops[i]);
                    compute.Synchronize(); // a GPU queues the work: the time is the kernels', not their launches'
                    forward[i] += timer.Elapsed.TotalMilliseconds;
                }
                forwardTotal += iterationTimer.Elapsed.TotalMilliseconds;
                var backwardTimer = Stopwatch.StartNew();
                for (int i = layers - 1; i >= 0; i--)
                {
                    timer.Restart();
                    // As Caffe's time: every layer's Backward with the net's propagate flags, so a deploy net's learnable
                    // layers still compute their weight gradients (net.Backward() would skip them: no loss needs them).
                    net.Layers[i].Backward(net.Tops[i], net.BottomNeedsBackward(i), net.Bottoms[i]);
                    compute.Synchronize();
                    backward[i] += timer.Elapsed.TotalMilliseconds;
                }
                backwardTotal += backwardTimer.Elapsed.TotalMilliseconds;
                log.Info("caffe.cs", $"Iteration: {iteration} forward-backward time: {F(iterationTimer.Elapsed.TotalMilliseconds)} ms.");
            }
        }
        double totalMs = total.Elapsed.TotalMilliseconds;
        log.Info("caffe.cs", "Average time per layer: ");
        for (int i = 0; i < layers; i++)
        {
            string name = net.Layers[i].Name.PadLeft(10);
            log.Info("caffe.cs", $"{name}\tforward: {F(forward[i] / iterations)} ms.");
            log.Info("caffe.cs", $"{name}\tbackward: {F(backward[i] / iterations)} ms.");
        }
        if (asTrained) LogFusedLayers(net, forwardCalls, backwardCalls, log);
        log.Info("caffe.cs", $"Average Forward pass: {F(forwardTotal / iterations)} ms.");
        log.Info("caffe.cs", $"Average Backward pass: {F(backwardTotal / iterations)} ms.");
        log.Info("caffe.cs", $"Average Forward-Backward: {F(totalMs / iterations)} ms.");
        log.Info("caffe.cs", $"Total Time: {F(totalMs)} ms.");
        log.Info("caffe.cs", "*** Benchmark ends ***");
        return 0;
    }

    /// <summary>Names the layers --as-trained gave no time of their own: run inside the layer beside them, or needing no backward.</summary>
    private static void LogFusedLayers(Net net, int[] forwardCalls, int[] backwardCalls, Logging.CaffeLog log)
    {
        for (int i = 0; i < net.Layers.Count; i++)
        {
            if (forwardCalls[i] == 0)
            {
                int host = i - 1;
                while (host > 0 && forwardCalls[host] == 0) host--;
                log.Info("caffe.cs", $"{net.Layers[i].Name}: its forward pass runs inside {net.Layers[Math.Max(host, 0)].Name}'s");
            }
            if (backwardCalls[i] > 0) continue;
            if (!net.LayerNeedsBackward(i)) continue;
            int after = i + 1;
            while (after < net.Layers.Count - 1 && backwardCalls[after] == 0) after++;
            log.Info("caffe.cs", $"{net.Layers[i].Name}: its backward pass runs inside {net.Layers[Math.Min(after, net.Layers.Count - 1)].Name}'s");
        }
    }

    /// <summary>Random values in the Input layers' tops, so timings see realistic data (labels stay 0).</summary>
    internal static void FillInputs(Net net)
    {
        var random = new CaffeRandom(1);
        for (int i = 0; i < net.Layers.Count; i++)
        {
            if (net.Layers[i].Type != "Input") continue;
            foreach (var top in net.Tops[i])
                if (top.NumAxes > 1) random.Gaussian(top.Data, 0f, 1f);
        }
    }

    private static Phase ParsePhase(string text) => text.ToUpperInvariant() switch
    {
        "TRAIN" => Phase.Train,
        "TEST" => Phase.Test,
        _ => throw new Errors.CortadoException($"time: --phase must be TRAIN or TEST, got '{text}'"),
    };

    private static string F(double value) => value.ToString("0.#####", CultureInfo.InvariantCulture);
}
