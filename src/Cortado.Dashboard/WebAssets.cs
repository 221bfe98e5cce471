using System.Reflection;

namespace Cortado.Dashboard;

/// <summary>
/// The page's files, embedded in this assembly: the page itself and uPlot with its licence. Only
/// these names are served; anything else asked for under /assets is not found.
/// </summary>
internal static class WebAssets
{
    private static readonly Dictionary<string, (string ContentType, byte[] Bytes)> Files = Load();

    public static bool TryGet(string name, out string contentType, out byte[] bytes)
    {
        if (Files.TryGetValue(name, out var file)) { (contentType, bytes) = file; return true; }
        (contentType, bytes) = ("", []);
        return false;
    }

    private static Dictionary<string, (string, byte[])> Load()
    {
        var assembly = Assembly.GetExecutingAssembly();
        var files = new Dictionary<string, (string, byte[])>(StringComparer.Ordinal);
        foreach (string resource in assembly.GetManifestResourceNames().Where(r => r.StartsWith("web/", StringComparison.Ordinal)))
        {
            using var stream = assembly.GetManifestResourceStream(resource)!;
            using var copy = new MemoryStream();
            stream.CopyTo(copy);
            files[resource["web/".Length..]] = (ContentTypeOf(resource), copy.ToArray());
        }
        return files;
    }

    public static string ContentTypeOf(string name) => Path.GetExtension(name).ToLowerInvariant() switch
    {
        ".html" => "text/html; charset=utf-8",
        ".js" => "text/javascript; charset=utf-8",
        ".css" => "text/css; charset=utf-8",
        ".svg" => "image/svg+xml",
        ".png" => "image/png",
        ".json" => "application/json",
        ".txt" or ".log" or ".prototxt" or ".csv" or ".md" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    };
}
