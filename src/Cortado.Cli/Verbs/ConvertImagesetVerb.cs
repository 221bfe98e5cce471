using Cortado.Data;

namespace Cortado.Cli.Verbs;

/// <summary>Caffe's convert_imageset: images named in a list file to an LMDB.</summary>
public sealed class ConvertImagesetVerb : IVerb
{
    public string Name => "convert-imageset";
    public string Summary => "convert the images of a 'path label' list to an LMDB (as convert_imageset)";
    public string Usage => "ROOT LIST OUT_LMDB [--gray] [--resize_height H --resize_width W] [--shuffle] [--encoded] [--overwrite]";
    public IReadOnlyList<Flag> Flags =>
    [
        new("gray", "store 1-channel gray images (default: 3-channel BGR)", TakesValue: false),
        new("resize_height", "resize every image to this height"),
        new("resize_width", "resize every image to this width"),
        new("shuffle", "shuffle the list before converting", TakesValue: false),
        new("encoded", "keep the image files' encoded bytes", TakesValue: false),
        new("overwrite", "replace OUT_LMDB if it exists", TakesValue: false),
        DatabaseBackendFlag.Flag,
    ];

    public int Run(VerbArguments arguments, VerbConsole console)
    {
        var backend = DatabaseBackendFlag.Read(arguments, Name);
        var paths = arguments.ExpectPositional(3);
        var options = new ImageSetConverter.Options(arguments.Has("gray"), arguments.GetInt("resize_height", 0), arguments.GetInt("resize_width", 0),
            arguments.Has("shuffle"), arguments.Has("encoded"), arguments.Has("overwrite"), Backend: backend);
        long count = ImageSetConverter.Convert(paths[0], paths[1], paths[2], options);
        console.Out.WriteLine($"Wrote {count} records to {paths[2]}");
        return 0;
    }
}
