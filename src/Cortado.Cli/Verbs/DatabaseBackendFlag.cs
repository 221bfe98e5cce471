using Cortado.Errors;

namespace Cortado.Cli.Verbs;

/// <summary>Caffe's -backend flag of its data tools. LMDB is what Cortado reads and writes; LevelDB is refused by name.</summary>
internal static class DatabaseBackendFlag
{
    public static readonly Flag Flag = new("backend", "the database kind: lmdb (as Caffe's -backend; leveldb is not supported yet)");

    public static void Check(VerbArguments arguments, string verb)
    {
        switch (arguments.Get("backend")?.ToLowerInvariant())
        {
            case null or "lmdb":
                return;
            case "leveldb":
                throw new CortadoException($"{verb}: -backend leveldb: Cortado reads and writes LMDB only for now; use -backend lmdb (and backend: LMDB in the Data layer)");
            default:
                throw new CortadoException($"{verb}: -backend must be lmdb (or Caffe's leveldb), got '{arguments.Get("backend")}'");
        }
    }
}
