using Cortado.Errors;

namespace Cortado.Data;

/// <summary>
/// Where a new database is written before it exists: a temporary folder beside the target, renamed
/// into place once complete, so no reader ever sees half a database. An existing target is refused
/// unless overwriting is asked for.
/// </summary>
internal static class StagedFolder
{
    public static (string Target, string Temporary) Prepare(string path, bool overwrite)
    {
        string target = Path.GetFullPath(path);
        if (!overwrite && (Directory.Exists(target) || File.Exists(target)))
            throw new DataException(path, "already exists; refusing to overwrite it (pass --overwrite to replace it)");
        string parent = Path.GetDirectoryName(target)!;
        Directory.CreateDirectory(parent);
        return (target, Path.Combine(parent, $".{Path.GetFileName(target)}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp"));
    }

    public static void Publish(string temporary, string target, bool overwrite)
    {
        if (overwrite && Directory.Exists(target)) Directory.Delete(target, recursive: true);
        Directory.Move(temporary, target);
    }
}
