using Cortado.Errors;
using static Cortado.Data.LevelDbNative;

namespace Cortado.Data;

/// <summary>
/// Writes a new LevelDB as Caffe's converters do (batches of 1000 records, a 256 MB write buffer),
/// into a temporary folder beside the target that <see cref="Complete"/> renames into place; disposing
/// without completing deletes it. An existing database is refused unless overwriting is asked for.
/// </summary>
public sealed class LevelDbWriter : IRecordWriter
{
    private const int BatchSize = 1000;
    private readonly string _path, _temporary;
    private readonly bool _overwrite;
    private IntPtr _db, _batch, _writeOptions;
    private int _pending;

    public LevelDbWriter(string path, bool overwrite = false)
    {
        EnsureLoaded();
        _overwrite = overwrite;
        (_path, _temporary) = StagedFolder.Prepare(path, overwrite);
        var options = leveldb_options_create();
        try
        {
            leveldb_options_set_create_if_missing(options, 1);
            leveldb_options_set_error_if_exists(options, 1);
            leveldb_options_set_write_buffer_size(options, 256 << 20);
            _db = leveldb_open(options, _temporary, out var error);
            Check(error, path, "cannot be created as a LevelDB");
        }
        finally { leveldb_options_destroy(options); }
        _batch = leveldb_writebatch_create();
        _writeOptions = leveldb_writeoptions_create();
    }

    public long Written { get; private set; }

    public unsafe void Put(string key, byte[] value)
    {
        var keyBytes = System.Text.Encoding.ASCII.GetBytes(key);
        fixed (byte* k = keyBytes)
        fixed (byte* v = value)
            leveldb_writebatch_put(_batch, k, (nuint)keyBytes.Length, v, (nuint)value.Length);
        Written++;
        if (++_pending >= BatchSize) Flush();
    }

    private void Flush()
    {
        leveldb_write(_db, _writeOptions, _batch, out var error);
        Check(error, _path, "write failed");
        leveldb_writebatch_clear(_batch);
        _pending = 0;
    }

    /// <summary>Writes the last records, closes the database and moves it into place.</summary>
    public void Complete()
    {
        Flush();
        Close();
        StagedFolder.Publish(_temporary, _path, _overwrite);
    }

    private void Close()
    {
        if (_batch != IntPtr.Zero) leveldb_writebatch_destroy(_batch);
        if (_writeOptions != IntPtr.Zero) leveldb_writeoptions_destroy(_writeOptions);
        if (_db != IntPtr.Zero) leveldb_close(_db);
        (_batch, _writeOptions, _db) = (IntPtr.Zero, IntPtr.Zero, IntPtr.Zero);
    }

    public void Dispose()
    {
        Close();
        if (Directory.Exists(_temporary)) Directory.Delete(_temporary, recursive: true);
    }
}
