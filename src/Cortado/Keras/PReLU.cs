using System.Text.Json.Nodes;
using Cortado.Proto;

namespace Cortado.Keras;

/// <summary>
/// Keras's PReLU(alpha_initializer zeros, shared_axes none): x for x &gt; 0, else alpha x with a learned
/// alpha. Caffe's PReLU learns one alpha per channel, or one for all: that is Keras's PReLU on a flat
/// input, or on an image with shared_axes [1, 2] (per channel) or [1, 2, 3] (one alpha). Keras's default
/// per-pixel alpha on an image has no Caffe form and is refused.
/// </summary>
public sealed class PReLU : KerasLayer
{
    public override string ClassName => "PReLU";
    public override string NamePrefix => "p_re_lu";
    public int[]? SharedAxes { get; init; }
    public string AlphaInitializer { get; init; } = "zeros";

    private bool OneAlpha(int[] input) => input.Length == 3 && SharedAxes is { } axes && axes.Order().SequenceEqual([1, 2, 3]);

    internal override int[] OutputShape(int[] input)
    {
        var axes = (SharedAxes ?? []).Order().ToArray();
        bool perChannel = input.Length == 1 ? axes.Length == 0 : axes.SequenceEqual([1, 2]) || axes.SequenceEqual([1, 2, 3]);
        if (!perChannel)
            throw Error(input.Length == 3
                ? $"shared_axes [{string.Join(", ", axes)}] on an image: Caffe's PReLU learns one alpha per channel (shared_axes [1, 2]) or one in all ([1, 2, 3]); Keras's default per-pixel alpha has no Caffe form"
                : $"shared_axes [{string.Join(", ", axes)}] on a flat input: only the default (one alpha per feature) maps to Caffe's PReLU");
        return input;
    }

    internal override long ParamCount(int[] input) => OneAlpha(input) ? 1 : input[^1];

    internal override KerasWeightSpec[] WeightSpecs(int[] input) =>
        [new("alpha", input.Length == 1 ? [input[0]] : OneAlpha(input) ? [1, 1, 1] : [1, 1, input[2]])];

    internal override JsonObject Config(KerasVersion format) => new()
    {
        ["alpha_initializer"] = KerasJson.Initializer(AlphaInitializer, format), ["alpha_regularizer"] = null, ["alpha_constraint"] = null,
        ["shared_axes"] = SharedAxes == null ? null : new JsonArray(SharedAxes.Select(a => (JsonNode)a).ToArray()),
    };

    internal override string ToCaffe(string bottom, int[] input, List<LayerParameter> layers, List<string> notes)
    {
        var filler = Initializers.Filler(AlphaInitializer, input[^1], input[^1], Name!, notes);
        layers.Add(new LayerParameter { Name = Name, Type = "PReLU", Bottom = { bottom }, Top = { Name }, PreluParam = new PReLUParameter { ChannelShared = OneAlpha(input), Filler = filler } });
        return Name!;
    }
}
