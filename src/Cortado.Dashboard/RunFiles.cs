namespace Cortado.Dashboard;

/// <summary>
/// The read-only files of a run's folder (its log, prototxts, curves). A requested path resolves
/// only to a regular file inside the folder, links followed: "..", absolute paths, links that lead
/// out and names the file system refuses all come back as not found.
/// </summary>
internal static class RunFiles
{
    /// <summary>The file's full path, or null when the request does not name a file inside <paramref name="folder"/>.</summary>
    public static string? Resolve(string folder, string requested)
    {
        try
        {
            string root = RealPath(Path.GetFullPath(folder));
            if (requested.Length == 0 || requested.Contains('\0') || requested.Contains('\\')) return null;
            string candidate = Path.GetFullPath(Path.Combine(root, requested));
            if (!IsInside(root, candidate) || !File.Exists(candidate)) return null;
            string real = RealPath(candidate);
            return IsInside(root, real) && File.Exists(real) ? real : null;
        }
        catch (Exception e) when (e is ArgumentException or IOException or UnauthorizedAccessException or NotSupportedException)
        {
            return null;
        }
    }

    /// <summary>The regular files directly in the folder, by name.</summary>
    public static IReadOnlyList<(string Name, long Bytes)> List(string folder) =>
        Directory.Exists(folder)
            ? new DirectoryInfo(folder).GetFiles().Where(f => f.LinkTarget == null).OrderBy(f => f.Name, StringComparer.Ordinal)
                .Select(f => (f.Name, f.Length)).ToList()
            : [];

    private static bool IsInside(string root, string path) =>
        path.StartsWith(root.EndsWith('/') ? root : root + "/", StringComparison.Ordinal);

    /// <summary>The path with every link along it followed.</summary>
    private static string RealPath(string path)
    {
        string current = Path.GetPathRoot(path)!;
        foreach (string part in path[current.Length..].Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            current = Path.Combine(current, part);
            var info = new FileInfo(current);
            if (info.LinkTarget != null) current = info.ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? current;
        }
        return current;
    }
}
