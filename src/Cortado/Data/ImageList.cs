using System.Globalization;
using Cortado.Errors;

namespace Cortado.Data;

/// <summary>
/// A Caffe image list: one "path label" line per image, the label after the last space (so paths
/// may contain spaces), paths relative to a root folder. Blank lines are skipped.
/// </summary>
public static class ImageList
{
    public static List<(string Path, int Label)> Read(string listPath)
    {
        string[] lines;
        try { lines = File.ReadAllLines(listPath); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new DataException(listPath, e is FileNotFoundException or DirectoryNotFoundException ? "file not found" : e.Message);
        }
        var entries = new List<(string, int)>();
        for (int i = 0; i < lines.Length; i++)
        {
            string line = lines[i].TrimEnd();
            if (line.Length == 0) continue;
            int space = line.LastIndexOf(' ');
            if (space <= 0 || !int.TryParse(line[(space + 1)..], NumberStyles.Integer, CultureInfo.InvariantCulture, out int label))
                throw new DataException($"{listPath}:{i + 1}", $"expected 'path label' (an integer label after the last space), got '{line}'");
            entries.Add((line[..space], label));
        }
        if (entries.Count == 0) throw new DataException(listPath, "lists no images");
        return entries;
    }
}
