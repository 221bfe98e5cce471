using Cortado.Data;
using Cortado.Proto;

namespace Cortado.Cli.Verbs;

/// <summary>Caffe's compute_image_mean: the mean image of an LMDB as a .binaryproto for transform_param.mean_file.</summary>
public sealed class ComputeImageMeanVerb : IVerb
{
    public string Name => "compute-image-mean";
    public string Summary => "write the mean image of an LMDB as a .binaryproto (for mean_file)";
    public string Usage => "DB OUT.binaryproto";
    public IReadOnlyList<Flag> Flags => [DatabaseBackendFlag.Flag];

    public int Run(VerbArguments arguments, VerbConsole console)
    {
        DatabaseBackendFlag.Read(arguments, Name); // the database's own files say which it is
        var paths = arguments.ExpectPositional(2);
        var mean = ImageMean.Compute(paths[0]);
        ProtoFiles.WriteBinary(paths[1], mean);
        double average = mean.Data.Average(v => (double)v);
        console.Out.WriteLine($"Wrote the {mean.Channels} x {mean.Height} x {mean.Width} mean image of {paths[0]} to {paths[1]} (overall mean {average:F3})");
        return 0;
    }
}
