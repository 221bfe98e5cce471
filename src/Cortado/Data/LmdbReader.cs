using Cortado.Errors;
using LightningDB;

namespace Cortado.Data;

/// <summary>
/// Reads a Caffe LMDB (a folder holding data.mdb) in key order, going back to the first record
/// after the last, as Caffe's Data layer does. A missing path, a LevelDB folder or any other
/// folder that is not an LMDB gets an error naming the path and what it found.
/// </summary>
public sealed class LmdbReader : IRecordReader
{
    private readonly LightningEnvironment _environment;
    private readonly LightningTransaction _transaction;
    private readonly LightningDatabase _database;
    private readonly LightningCursor _cursor;
    private bool _atStart = true;

    public LmdbReader(string path)
    {
        Path = path;
        CheckIsLmdb(path);
        LmdbIntegrity.Check(path);
        LmdbNative.EnsureLoaded();
        _environment = new LightningEnvironment(path, new EnvironmentConfiguration { MapSize = 1L << 40 });
        try
        {
            _environment.Open(EnvironmentOpenFlags.ReadOnly | EnvironmentOpenFlags.NoLock);
            _transaction = _environment.BeginTransaction(TransactionBeginFlags.ReadOnly);
            _database = _transaction.OpenDatabase();
            _cursor = _transaction.CreateCursor(_database);
            Count = _transaction.GetEntriesCount(_database);
            if (Count == 0) throw new DataException(path, "is an empty LMDB (no records)");
        }
        catch (Exception e)
        {
            // LightningDB's finalizer throws on an environment left open, which would kill the process later.
            _cursor?.Dispose();
            _database?.Dispose();
            _transaction?.Dispose();
            _environment.Dispose();
            if (e is LightningException) throw new DataException(path, $"cannot be opened as an LMDB: {e.Message}");
            throw;
        }
    }

    public string Path { get; }
    public long Count { get; }

    /// <summary>The next record, starting again at the first after the last.</summary>
    public (string Key, byte[] Value) Next()
    {
        var (code, key, value) = _atStart ? _cursor.First() : _cursor.Next();
        _atStart = false;
        if (code == MDBResultCode.NotFound) (code, key, value) = _cursor.First();
        if (code != MDBResultCode.Success) throw new DataException(Path, $"read failed ({code})");
        return (System.Text.Encoding.ASCII.GetString(key.AsSpan()), value.CopyToNewArray());
    }

    /// <summary>Moves back to the start, so the next record is the first.</summary>
    public void Rewind() => _atStart = true;

    public void Dispose()
    {
        _cursor.Dispose();
        _database.Dispose();
        _transaction.Dispose();
        _environment.Dispose();
    }

    private static void CheckIsLmdb(string path)
    {
        if (File.Exists(path)) throw new DataException(path, "is a file; an LMDB is a folder holding data.mdb (and lock.mdb)");
        if (!Directory.Exists(path)) throw new DataException(path, "not found (expected an LMDB folder holding data.mdb)" + RelativePaths.Hint(path));
        if (File.Exists(System.IO.Path.Combine(path, "data.mdb"))) return;
        if (File.Exists(System.IO.Path.Combine(path, "CURRENT")) || Directory.EnumerateFiles(path, "*.ldb").Any())
            throw new DataException(path, "is a LevelDB database, not an LMDB; open it with RecordDatabases.OpenReader (the Data layer does)");
        throw new DataException(path, "is not an LMDB (no data.mdb in the folder)");
    }
}
