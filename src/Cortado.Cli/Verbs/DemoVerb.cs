using System.Globalization;
using Cortado.Proto;

namespace Cortado.Cli.Verbs;

/// <summary>
/// The README's first command. It runs on the embedded seed case (the Caffe port that did
/// not learn): reads its net and solver, shows what each layer is set to, and checks that
/// both survive Cortado's text and binary round trips. Training, diagnosis and the fix join
/// the demo as those parts of Cortado land.
/// </summary>
public sealed class DemoVerb : IVerb
{
    public string Name => "demo";
    public string Summary => "run the embedded seed case (the Caffe port that does not learn)";
    public string Usage => "";
    public IReadOnlyList<Flag> Flags => [];

    public int Run(VerbArguments arguments, TextWriter output)
    {
        arguments.ExpectPositional(0);
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
        output.WriteLine($"Round trips: prototxt ({text.Length} characters) {(textRoundTrip ? "identical" : "DIFFERENT")}, " +
                         $"binary NetParameter ({binary.CalculateSize()} bytes) {(binary.Equals(net) ? "identical" : "DIFFERENT")}");
        return textRoundTrip && binary.Equals(net) ? 0 : 1;
    }
}
