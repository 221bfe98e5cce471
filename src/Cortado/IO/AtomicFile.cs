namespace Cortado.IO;

/// <summary>
/// Writes files so that a reader never sees half of one: the bytes go to a temporary
/// file in the same folder, are flushed to the disk, and the temporary file is then renamed
/// over the target. A crash or kill during the write leaves the old file (or none) intact.
/// </summary>
public static class AtomicFile
{
    public static void Write(string path, Action<Stream> write)
    {
        string full = Path.GetFullPath(path);
        string folder = FolderOf(full);
        string temporary = Path.Combine(folder, $".{Path.GetFileName(full)}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var stream = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                write(stream);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temporary, full, overwrite: true);
        }
        catch
        {
            TryDelete(temporary);
            throw;
        }
    }

    /// <summary>For writers that take a file name: they write a temporary file, which is then renamed over the target.</summary>
    public static void WriteVia(string path, Action<string> writeFile)
    {
        string full = Path.GetFullPath(path);
        string folder = FolderOf(full);
        string temporary = Path.Combine(folder, $".{Path.GetFileName(full)}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
        try
        {
            writeFile(temporary);
            using (var stream = new FileStream(temporary, FileMode.Open, FileAccess.ReadWrite)) stream.Flush(flushToDisk: true);
            File.Move(temporary, full, overwrite: true);
        }
        catch
        {
            TryDelete(temporary);
            throw;
        }
    }

    public static void WriteAllBytes(string path, ReadOnlySpan<byte> bytes)
    {
        var copy = bytes.ToArray();
        Write(path, s => s.Write(copy));
    }

    public static void WriteAllText(string path, string text) => WriteAllBytes(path, System.Text.Encoding.UTF8.GetBytes(text));

    /// <summary>
    /// Deletes the temporary files that writes to targets starting with <paramref name="prefix"/>
    /// left behind when their process was killed (their process id is in the name and no longer
    /// runs); returns their paths. A write still going on in another process is left alone.
    /// </summary>
    public static IReadOnlyList<string> RemoveStale(string prefix)
    {
        string full = Path.GetFullPath(prefix);
        string folder = Path.GetDirectoryName(full)!, start = "." + Path.GetFileName(full);
        if (!Directory.Exists(folder)) return [];
        var removed = new List<string>();
        foreach (string file in Directory.EnumerateFiles(folder, start + "*.tmp"))
        {
            // .NAME.PID.GUID.tmp
            var parts = Path.GetFileName(file).Split('.');
            if (parts.Length < 5 || !int.TryParse(parts[^3], out int pid) || IsRunning(pid)) continue;
            TryDelete(file);
            removed.Add(file);
        }
        return removed;
    }

    private static bool IsRunning(int pid)
    {
        if (pid == Environment.ProcessId) return true;
        if (OperatingSystem.IsLinux()) return Directory.Exists($"/proc/{pid}");
        try { using var process = System.Diagnostics.Process.GetProcessById(pid); return !process.HasExited; }
        catch (ArgumentException) { return false; }
    }

    /// <summary>The folder a file goes in, created; a file in the way gets an error that says so.</summary>
    private static string FolderOf(string full)
    {
        string folder = Path.GetDirectoryName(full)!;
        try { Directory.CreateDirectory(folder); }
        catch (IOException e) when (!Directory.Exists(folder))
        {
            string? blocker = Blocker(folder);
            throw new IOException(blocker != null
                ? $"cannot write {full}: {blocker} is a file, not a folder"
                : $"cannot create the folder {folder} for {full}: {e.Message}", e);
        }
        return folder;
    }

    private static string? Blocker(string folder)
    {
        for (string? dir = folder; !string.IsNullOrEmpty(dir); dir = Path.GetDirectoryName(dir))
            if (File.Exists(dir)) return dir;
        return null;
    }

    private static void TryDelete(string path)
    {
        try { File.Delete(path); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
