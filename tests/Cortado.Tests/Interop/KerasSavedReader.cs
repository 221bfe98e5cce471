using System.Text.Json;

namespace Cortado.Tests.Interop;

/// <summary>keras_saved_reader.py: a saved Keras model read as Keras's loaders read it and run in numpy.</summary>
internal static class KerasSavedReader
{
    /// <summary>The numpy outputs (of the first output) for the inputs (channel-last, one array per model input), and the reader's account of what it found.</summary>
    public static (float[] Outputs, JsonElement Read) Run(TempDir dir, string model, params float[][] inputs)
    {
        var files = new List<string>();
        for (int i = 0; i < inputs.Length; i++)
        {
            var bytes = new byte[inputs[i].Length * 4];
            Buffer.BlockCopy(inputs[i], 0, bytes, 0, bytes.Length);
            files.Add(dir.File($"input{i}.f32"));
            File.WriteAllBytes(files[^1], bytes);
        }
        string stdout = PythonRunner.Run(File.ReadAllText(Path.Combine(RepoPaths.Root, "tests/Cortado.Tests/Interop/keras_saved_reader.py")),
            [model, files[0], dir.File("out.f32"), .. files.Skip(1)]);
        return (FloatFile.Read(dir.File("out.f32")), JsonDocument.Parse(stdout).RootElement.Clone());
    }
}
