using Cortado.Data;

namespace Cortado.Cli.Verbs;

/// <summary>MNIST/Fashion-MNIST IDX files (gzipped or not) to an LMDB of Datum records.</summary>
public sealed class ConvertIdxVerb : IVerb
{
    public string Name => "convert-idx";
    public string Summary => "convert MNIST/Fashion-MNIST IDX images and labels (.gz or not) to an LMDB";
    public string Usage => "IMAGES.idx LABELS.idx OUT_LMDB [--siamese [--seed N]] [--overwrite]";
    public IReadOnlyList<Flag> Flags =>
    [
        new("overwrite", "replace OUT_LMDB if it exists", TakesValue: false),
        new("siamese", "write random pairs of images as 2-channel records, labelled 1 for the same class (Caffe's convert_mnist_siamese_data)", TakesValue: false),
        new("seed", "the random seed that draws the pairs (default 1)"),
        DatabaseBackendFlag.Flag,
    ];

    public int Run(VerbArguments arguments, VerbConsole console)
    {
        var backend = DatabaseBackendFlag.Read(arguments, Name);
        var paths = arguments.ExpectPositional(3);
        long count = arguments.Has("siamese")
            ? IdxConverter.ConvertPairs(paths[0], paths[1], paths[2], arguments.GetInt("seed", 1), arguments.Has("overwrite"), backend)
            : IdxConverter.Convert(paths[0], paths[1], paths[2], arguments.Has("overwrite"), backend);
        console.Out.WriteLine($"Wrote {count} records to {paths[2]}");
        return 0;
    }
}
