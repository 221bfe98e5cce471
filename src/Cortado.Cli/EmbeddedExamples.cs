using System.Reflection;

namespace Cortado.Cli;

/// <summary>The example files compiled into the tool (the seed case), so the demo runs on a fresh machine.</summary>
public static class EmbeddedExamples
{
    public static string Read(string name)
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream($"seed/{name}")
            ?? throw new InvalidOperationException($"embedded example '{name}' is missing from the build");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
