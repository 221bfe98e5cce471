using System.Runtime.InteropServices;
using Cortado.Errors;
using static Cortado.Data.LevelDbNative;

namespace Cortado.Data;

/// <summary>
/// Reads a Caffe LevelDB (Caffe's Data layer's default backend) in key order, checksums verified,
/// going back to the first record after the last. LevelDB keeps no count, so opening walks the
/// keys once, which also finds a damaged table before training starts.
/// </summary>
public sealed class LevelDbReader : IRecordReader
{
    private IntPtr _db, _iterator, _readOptions;
    private bool _atStart = true;

    public LevelDbReader(string path)
    {
        Path = path;
        if (!Directory.Exists(path)) throw new DataException(path, "not found (expected a LevelDB folder holding CURRENT)" + RelativePaths.Hint(path));
        _db = OpenShared(path);
        _readOptions = leveldb_readoptions_create();
        leveldb_readoptions_set_verify_checksums(_readOptions, 1);
        _iterator = leveldb_create_iterator(_db, _readOptions);
        try
        {
            for (leveldb_iter_seek_to_first(_iterator); leveldb_iter_valid(_iterator) != 0; leveldb_iter_next(_iterator)) Count++;
            leveldb_iter_get_error(_iterator, out var walkError);
            Check(walkError, path, "is damaged");
            if (Count == 0) throw new DataException(path, "is an empty LevelDB (no records)");
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public string Path { get; }
    public long Count { get; }

    public (string Key, byte[] Value) Next()
    {
        if (_atStart) leveldb_iter_seek_to_first(_iterator);
        else leveldb_iter_next(_iterator);
        _atStart = false;
        if (leveldb_iter_valid(_iterator) == 0)
        {
            leveldb_iter_get_error(_iterator, out var error);
            Check(error, Path, "read failed");
            leveldb_iter_seek_to_first(_iterator);
        }
        var key = Copy(leveldb_iter_key(_iterator, out var keyLength), keyLength);
        var value = Copy(leveldb_iter_value(_iterator, out var valueLength), valueLength);
        return (System.Text.Encoding.ASCII.GetString(key), value);
    }

    private static byte[] Copy(IntPtr source, nuint length)
    {
        var bytes = new byte[(int)length];
        Marshal.Copy(source, bytes, 0, bytes.Length);
        return bytes;
    }

    public void Rewind() => _atStart = true;

    public void Dispose()
    {
        if (_iterator != IntPtr.Zero) leveldb_iter_destroy(_iterator);
        if (_readOptions != IntPtr.Zero) leveldb_readoptions_destroy(_readOptions);
        if (_db != IntPtr.Zero) CloseShared(_db);
        (_iterator, _readOptions, _db) = (IntPtr.Zero, IntPtr.Zero, IntPtr.Zero);
    }

    // LevelDB locks its folder against a second open, even in the same process; readers of one database
    // (a train and a test net, a diagnosis during training) share one handle, each with its own iterator.
    private static readonly Dictionary<string, (IntPtr Db, int Readers)> Open = [];
    private static readonly Lock OpenGate = new();

    private static IntPtr OpenShared(string path)
    {
        string key = System.IO.Path.GetFullPath(path);
        lock (OpenGate)
        {
            if (Open.TryGetValue(key, out var shared))
            {
                Open[key] = (shared.Db, shared.Readers + 1);
                return shared.Db;
            }
            EnsureLoaded();
            var options = leveldb_options_create();
            try
            {
                leveldb_options_set_paranoid_checks(options, 1);
                var db = leveldb_open(options, path, out var error);
                Check(error, path, "cannot be opened as a LevelDB");
                Open[key] = (db, 1);
                return db;
            }
            finally { leveldb_options_destroy(options); }
        }
    }

    private static void CloseShared(IntPtr db)
    {
        lock (OpenGate)
        {
            var (key, shared) = Open.First(entry => entry.Value.Db == db);
            if (shared.Readers > 1) Open[key] = (db, shared.Readers - 1);
            else
            {
                Open.Remove(key);
                leveldb_close(db);
            }
        }
    }
}
