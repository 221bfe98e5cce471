using Cortado.Errors;
using LightningDB;

namespace Cortado.Data;

/// <summary>
/// Writes a new LMDB as Caffe's converters do, but never leaves half a database behind: records
/// go to a temporary folder beside the target, committed in batches, and the folder is renamed
/// into place by <see cref="Complete"/>. Disposing without completing deletes it. An existing
/// database is refused unless overwriting is asked for.
/// </summary>
public sealed class LmdbWriter : IRecordWriter
{
    private const int BatchSize = 1000;
    private readonly string _path, _temporary;
    private readonly bool _overwrite;
    private LightningEnvironment? _environment;
    private LightningTransaction? _transaction;
    private LightningDatabase? _database;
    private int _pending;

    public LmdbWriter(string path, bool overwrite = false)
    {
        LmdbNative.EnsureLoaded();
        _overwrite = overwrite;
        (_path, _temporary) = StagedFolder.Prepare(path, overwrite);
        Directory.CreateDirectory(_temporary);
        _environment = new LightningEnvironment(_temporary, new EnvironmentConfiguration { MapSize = 1L << 40 });
        _environment.Open();
        Begin();
    }

    public long Written { get; private set; }

    public void Put(string key, byte[] value)
    {
        _transaction!.Put(_database!, System.Text.Encoding.ASCII.GetBytes(key), value);
        Written++;
        if (++_pending >= BatchSize) { Commit(); Begin(); }
    }

    /// <summary>Commits the last records and moves the database into place.</summary>
    public void Complete()
    {
        Commit();
        _database!.Dispose();
        _database = null;
        _environment!.Dispose();
        _environment = null;
        StagedFolder.Publish(_temporary, _path, _overwrite);
    }

    private void Begin()
    {
        _transaction = _environment!.BeginTransaction();
        _database ??= _transaction.OpenDatabase(configuration: new DatabaseConfiguration { Flags = DatabaseOpenFlags.Create });
        _pending = 0;
    }

    private void Commit()
    {
        var code = _transaction!.Commit();
        _transaction.Dispose();
        _transaction = null;
        if (code != MDBResultCode.Success) throw new DataException(_path, $"LMDB commit failed ({code})");
    }

    public void Dispose()
    {
        _transaction?.Dispose();
        _database?.Dispose();
        _environment?.Dispose();
        if (Directory.Exists(_temporary)) Directory.Delete(_temporary, recursive: true);
    }
}
