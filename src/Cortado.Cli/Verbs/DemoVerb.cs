using System.Diagnostics;
using System.Globalization;
using Cortado.Compute;
using Cortado.Nets;
using Cortado.Proto;

namespace Cortado.Cli.Verbs;

/// <summary>
/// The README's first command. It runs on the embedded seed case (the Caffe port that did not
/// learn): reads its net and solver, shows what each layer is set to, builds the net as Caffe
/// would (shapes inferred layer by layer), compares its pooling with Keras's, and times one
/// training step. Training, diagnosis and the fix join the demo as those parts land.
/// </summary>
public sealed class DemoVerb : IVerb
{
    /// <summary>The seed's images: 24 x 15 grayscale.</summary>
    private const int ImageHeight = 24, ImageWidth = 15;

    public string Name => "demo";
    public string Summary => "run the embedded seed case (the Caffe port that does not learn)";
    public string Usage => "";
    public IReadOnlyList<Flag> Flags => [];

    public int Run(VerbArguments arguments, VerbConsole console)
    {
        arguments.ExpectPositional(0);
        var output = console.Out;
        var net = TextFormat.Parse<NetParameter>(EmbeddedExamples.Read("train_val.prototxt"), "examples/fneishnet_numbers/train_val.prototxt");
        var solver = TextFormat.Parse<SolverParameter>(EmbeddedExamples.Read("solver.prototxt"), "examples/fneishnet_numbers/solver.prototxt");
        NetUpgrader.Upgrade(net);

        output.WriteLine("Cortado demo: the seed case, a Keras CNN ported to Caffe that sits at a loss of 2.1-2.6");
        output.WriteLine();
        output.WriteLine($"Net \"{net.Name}\": {net.Layer.Count} layers");
        output.WriteLine($"  {"layer",-10} {"type",-16} {"bottom -> top",-26} settings");
        foreach (var layer in net.Layer)
        {
            string wiring = $"{string.Join(",", layer.Bottom)} -> {string.Join(",", layer.Top)}";
            output.WriteLine($"  {layer.Name,-10} {layer.Type,-16} {wiring,-26} {LayerSummary.Describe(layer)}");
        }
        output.WriteLine();
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"Solver: {solver.Type}, base_lr {solver.BaseLr}, momentum {solver.Momentum}, weight_decay {solver.WeightDecay}, lr_policy \"{solver.LrPolicy}\" (power {solver.Power}), max_iter {solver.MaxIter}"));

        var text = TextFormat.Print(net);
        bool textRoundTrip = TextFormat.Parse<NetParameter>(text).Equals(net);
        var binary = NetParameter.Parser.ParseFrom(Google.Protobuf.MessageExtensions.ToByteArray(net));
        bool binaryRoundTrip = binary.Equals(net);
        output.WriteLine($"Round trips: prototxt ({text.Length} characters) {(textRoundTrip ? "identical" : "DIFFERENT")}, " +
                         $"binary NetParameter ({binary.CalculateSize()} bytes) {(binaryRoundTrip ? "identical" : "DIFFERENT")}");

        int batch = (int)net.Layer.First(l => l.DataParam != null && l.Include.Any(r => r.Phase == Phase.Train)).DataParam.BatchSize;
        var train = new Net(WithInput(net, batch), Phase.Train);
        output.WriteLine();
        output.WriteLine($"Shapes as Caffe infers them (TRAIN net; the Data layer stood in for by {batch} x 1 x {ImageHeight} x {ImageWidth} inputs):");
        foreach (var blob in train.Blobs.Where(b => !b.Name.Contains("_split")))
            output.WriteLine($"  {blob.Name,-10} {blob.ShapeString}");

        var pool = train.Blob("pool1").Shape;
        var strided = new Net(WithInput(WithPoolingStride(net, PoolingParameter.Types.RoundMode.Ceil), batch), Phase.Train);
        var keras = new Net(WithInput(WithPoolingStride(net, PoolingParameter.Types.RoundMode.Floor), batch), Phase.Train);
        output.WriteLine();
        output.WriteLine($"pool1 uses stride 1 (Caffe's default), so fc1 receives {pool[2]} x {pool[3]} x {pool[1]} = {Features(train)} features per image.");
        output.WriteLine($"Keras's MaxPooling2D((2, 2)) strides by the pool size and rounds down: {Describe(keras)}.");
        output.WriteLine($"Stride 2 alone is not enough in Caffe, which rounds the pooled size up: {Describe(strided)}.");

        TimeVerb.FillInputs(train);
        train.ForwardBackward();
        var watch = Stopwatch.StartNew();
        const int steps = 3;
        for (int i = 0; i < steps; i++) train.ForwardBackward();
        double ms = watch.Elapsed.TotalMilliseconds / steps;
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"One forward + backward pass of the batch: {ms:F1} ms ({batch * 1000 / ms:F0} images/s) on {ComputeSettings.Threads} thread(s), {GemmKernel.Best.Name} kernels."));
        output.WriteLine();
        output.WriteLine("Training, diagnosis and the corrected configuration join this demo as Cortado's solver, data and diagnose parts land.");
        return textRoundTrip && binaryRoundTrip ? 0 : 1;
    }

    /// <summary>The net with its Data layers replaced by one Input of the same batch and image size.</summary>
    private static NetParameter WithInput(NetParameter net, int batch)
    {
        var copy = net.Clone();
        copy.Layer.Clear();
        copy.Layer.Add(TextFormat.Parse<LayerParameter>(
            $"name: \"data\" type: \"Input\" top: \"data\" top: \"label\" input_param {{ shape {{ dim: {batch} dim: 1 dim: {ImageHeight} dim: {ImageWidth} }} shape {{ dim: {batch} }} }}"));
        copy.Layer.AddRange(net.Layer.Where(l => l.Type != "Data"));
        return copy;
    }

    /// <summary>Pooling strided by its kernel size, as Keras's default, with the given rounding.</summary>
    private static NetParameter WithPoolingStride(NetParameter net, PoolingParameter.Types.RoundMode rounding)
    {
        var copy = net.Clone();
        foreach (var layer in copy.Layer.Where(l => l.PoolingParam != null))
        {
            layer.PoolingParam.Stride = layer.PoolingParam.KernelSize;
            layer.PoolingParam.RoundMode = rounding;
        }
        return copy;
    }

    private static int Features(Net net) => net.Blob("flatten1").Shape[1];

    private static string Describe(Net net)
    {
        var pool = net.Blob("pool1").Shape;
        return $"{pool[2]} x {pool[3]} x {pool[1]} = {Features(net)} features";
    }
}
