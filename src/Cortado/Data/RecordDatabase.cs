namespace Cortado.Data;

/// <summary>A key-ordered database of Caffe records (LMDB or LevelDB), read from the first record again after the last.</summary>
public interface IRecordReader : IDisposable
{
    string Path { get; }
    long Count { get; }
    /// <summary>The next record, starting again at the first after the last.</summary>
    (string Key, byte[] Value) Next();
    /// <summary>Moves back to the start, so the next record is the first.</summary>
    void Rewind();
}

/// <summary>Writes a new database that appears only once complete; disposing without completing leaves nothing behind.</summary>
public interface IRecordWriter : IDisposable
{
    long Written { get; }
    void Put(string key, byte[] value);
    void Complete();
}

/// <summary>The two databases Caffe's Data layer reads: LMDB (a folder with data.mdb) and LevelDB (a folder with CURRENT).</summary>
public enum RecordBackend { Lmdb, LevelDb }

/// <summary>Opens either kind of database, telling them apart by the files in the folder.</summary>
public static class RecordDatabases
{
    public static bool IsLevelDb(string path) =>
        Directory.Exists(path) && !File.Exists(System.IO.Path.Combine(path, "data.mdb")) && File.Exists(System.IO.Path.Combine(path, "CURRENT"));

    public static IRecordReader OpenReader(string path) => IsLevelDb(path) ? new LevelDbReader(path) : new LmdbReader(path);

    public static IRecordWriter CreateWriter(string path, RecordBackend backend, bool overwrite = false) =>
        backend == RecordBackend.LevelDb ? new LevelDbWriter(path, overwrite) : new LmdbWriter(path, overwrite);
}
