using System.Text.Json;

namespace Cortado.Tests.Interop;

/// <summary>keras_saved_reader.py: a saved Keras model read as Keras's loaders read it and run in numpy.</summary>
internal static class KerasSavedReader
{
    /// <summary>The numpy outputs for <paramref name="images"/> (channel-last), and the reader's account of what it found.</summary>
    public static (float[] Outputs, JsonElement Read) Run(TempDir dir, string model, float[] images)
    {
        var bytes = new byte[images.Length * 4];
        Buffer.BlockCopy(images, 0, bytes, 0, bytes.Length);
        File.WriteAllBytes(dir.File("images.f32"), bytes);
        string stdout = PythonRunner.Run(File.ReadAllText(Path.Combine(RepoPaths.Root, "tests/Cortado.Tests/Interop/keras_saved_reader.py")),
            model, dir.File("images.f32"), dir.File("out.f32"));
        var raw = File.ReadAllBytes(dir.File("out.f32"));
        var outputs = new float[raw.Length / 4];
        Buffer.BlockCopy(raw, 0, outputs, 0, raw.Length);
        return (outputs, JsonDocument.Parse(stdout).RootElement.Clone());
    }
}
