namespace Cortado.Data;

/// <summary>What a not-found message adds for a relative path: Caffe, and Cortado, read them from the working directory.</summary>
internal static class RelativePaths
{
    public static string Hint(string path) => System.IO.Path.IsPathRooted(path) ? ""
        : $"; a relative path is read from the working directory ({Environment.CurrentDirectory}), as Caffe reads it: run from the folder the prototxt's paths assume (for Caffe's own examples, the repository root)";
}
