using System.Text.Json.Nodes;
using Cortado.Proto;

namespace Cortado.Keras;

/// <summary>
/// Keras's Embedding(input_dim, output_dim), embeddings drawn uniformly from [-0.05, 0.05]: each
/// integer of a (length) sequence becomes its row of the (input_dim, output_dim) table, giving
/// (length, output_dim). Caffe's Embed without a bias is the same lookup, and its weights are the
/// same table in the same layout.
/// </summary>
public sealed class Embedding(int inputDim, int outputDim) : KerasLayer
{
    public override string ClassName => "Embedding";
    public override string NamePrefix => "embedding";
    public int InputDim { get; } = inputDim;
    public int OutputDim { get; } = outputDim;
    public string EmbeddingsInitializer { get; init; } = "random_uniform";

    internal override int[] OutputShape(int[] input)
    {
        if (input.Length != 1) throw Error($"takes a sequence of integers (length), got ({string.Join(", ", input)})");
        if (InputDim < 1 || OutputDim < 1) throw Error($"input_dim and output_dim must be positive, got {InputDim} and {OutputDim}");
        return [input[0], OutputDim];
    }

    internal override long ParamCount(int[] input) => checked((long)InputDim * OutputDim);
    internal override KerasWeightSpec[] WeightSpecs(int[] input) => [new("embeddings", [InputDim, OutputDim])];

    internal override JsonObject Config(KerasVersion format) => new()
    {
        ["input_dim"] = InputDim, ["output_dim"] = OutputDim, ["embeddings_initializer"] = KerasJson.Initializer(EmbeddingsInitializer, format),
        ["embeddings_regularizer"] = null, ["activity_regularizer"] = null, ["embeddings_constraint"] = null, ["mask_zero"] = false,
    };

    internal override string ToCaffe(string bottom, int[] input, List<LayerParameter> layers, List<string> notes)
    {
        layers.Add(new LayerParameter
        {
            Name = Name, Type = "Embed", Bottom = { bottom }, Top = { Name },
            EmbedParam = new EmbedParameter
            {
                InputDim = (uint)InputDim, NumOutput = (uint)OutputDim, BiasTerm = false,
                WeightFiller = Initializers.Filler(EmbeddingsInitializer, InputDim, OutputDim, Name!, notes),
            },
        });
        return Name!;
    }
}
