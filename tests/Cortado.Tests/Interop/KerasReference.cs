namespace Cortado.Tests.Interop;

/// <summary>The Keras reference scripts: each writes a model as Keras writes it, through h5py, into a fresh folder.</summary>
internal static class KerasReference
{
    public static TempDir Write(string script, string form)
    {
        var dir = new TempDir();
        PythonRunner.Run(File.ReadAllText(Path.Combine(RepoPaths.Root, "tests/Cortado.Tests/Interop", script)), dir.Path, form);
        return dir;
    }
}
