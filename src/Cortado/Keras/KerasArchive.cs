using System.IO.Compression;
using Cortado.Errors;

namespace Cortado.Keras;

/// <summary>A Keras 3 .keras file: a zip holding config.json and model.weights.h5, unpacked to a temporary folder while in use.</summary>
public sealed class KerasArchive : IDisposable
{
    private readonly string _folder;

    private KerasArchive(string folder, string config, string? weights) => (_folder, Config, WeightsPath) = (folder, config, weights);

    public string Config { get; }
    public string? WeightsPath { get; }

    public static KerasArchive Open(string path)
    {
        if (!File.Exists(path)) throw new ModelFileException(path, "file not found");
        string folder = Directory.CreateTempSubdirectory("cortado-keras-").FullName;
        try
        {
            ZipFile.ExtractToDirectory(path, folder);
            string config = Path.Combine(folder, "config.json");
            if (!File.Exists(config)) throw new ModelFileException(path, "is a zip without config.json; is it a Keras 3 .keras file?");
            string weights = Path.Combine(folder, "model.weights.h5");
            return new KerasArchive(folder, File.ReadAllText(config), File.Exists(weights) ? weights : null);
        }
        catch (Exception e)
        {
            // Whatever went wrong, nothing is left in the temporary folder.
            try { Directory.Delete(folder, recursive: true); } catch (IOException) { }
            if (e is CortadoException) throw;
            if (e is InvalidDataException) throw new ModelFileException(path, $"is not a .keras (zip) file: {e.Message}", e);
            if (e is IOException or UnauthorizedAccessException) throw new ModelFileException(path, $"cannot be unpacked: {e.Message}", e);
            throw;
        }
    }

    public void Dispose()
    {
        try { Directory.Delete(_folder, recursive: true); } catch (IOException) { }
    }
}
