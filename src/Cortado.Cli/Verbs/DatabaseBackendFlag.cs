using Cortado.Data;
using Cortado.Errors;

namespace Cortado.Cli.Verbs;

/// <summary>Caffe's -backend flag of its data tools: lmdb (the default here) or leveldb (Caffe's own default).</summary>
internal static class DatabaseBackendFlag
{
    public static readonly Flag Flag = new("backend", "the database to write: lmdb (default) or leveldb, as Caffe's -backend");

    public static RecordBackend Read(VerbArguments arguments, string verb) => arguments.Get("backend")?.ToLowerInvariant() switch
    {
        null or "lmdb" => RecordBackend.Lmdb,
        "leveldb" => RecordBackend.LevelDb,
        _ => throw new CortadoException($"{verb}: -backend must be lmdb or leveldb, got '{arguments.Get("backend")}'"),
    };
}
