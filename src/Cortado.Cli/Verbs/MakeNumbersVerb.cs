using Cortado.Data;

namespace Cortado.Cli.Verbs;

/// <summary>Writes the seed case's 24 x 15 numbers data (train and validation LMDBs), made up from a seed.</summary>
public sealed class MakeNumbersVerb : IVerb
{
    public string Name => "make-numbers";
    public string Summary => "write the seed case's 24x15 numbers data (11 classes) as train and validation LMDBs";
    public string Usage => "OUT_DIR [--prefix NAME] [--train_per_class N] [--val_per_class N] [--seed S] [--overwrite]";
    public IReadOnlyList<Flag> Flags =>
    [
        new("prefix", "names the databases NAME_train_lmdb and NAME_val_lmdb (default: OUT_DIR's own name, as Caffe's examples do)"),
        new("train_per_class", "training images per class (default 1000)"),
        new("val_per_class", "validation images per class (default 200)"),
        new("seed", "the random seed (default 1)"),
        new("overwrite", "replace existing databases", TakesValue: false),
    ];

    public int Run(VerbArguments arguments, VerbConsole console)
    {
        string folder = arguments.ExpectPositional(1)[0];
        var (train, validation) = NumbersDataset.Write(folder, arguments.GetInt("train_per_class", 1000), arguments.GetInt("val_per_class", 200),
            arguments.GetInt("seed", 1), arguments.Has("overwrite"), arguments.Get("prefix"));
        console.Out.WriteLine($"Wrote {train} and {validation} (24 x 15 grayscale, 11 classes, raw 0..255 pixels)");
        return 0;
    }
}
