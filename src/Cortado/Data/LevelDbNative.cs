using System.Runtime.InteropServices;
using Cortado.Errors;

namespace Cortado.Data;

/// <summary>
/// LevelDB's C API (leveldb/c.h) from Debian's libleveldb1d, the library Caffe links. Errors come
/// back as strings LevelDB allocates; <see cref="Check"/> turns one into a <see cref="DataException"/>
/// naming the database and frees it.
/// </summary>
internal static partial class LevelDbNative
{
    private const string Library = "leveldb";
    private static readonly string[] SystemNames = ["libleveldb.so.1d", "libleveldb.so.1", "libleveldb.so"];
    private static readonly Lock Gate = new();
    private static IntPtr _handle;

    public static void EnsureLoaded()
    {
        lock (Gate)
        {
            if (_handle != IntPtr.Zero) return;
            foreach (string name in SystemNames)
                if (NativeLibrary.TryLoad(name, out _handle)) break;
            if (_handle == IntPtr.Zero)
                throw new NativeLibraryMissingException("LevelDB", $"none of {string.Join(", ", SystemNames)} was found. Install Debian's libleveldb1d (sudo apt-get install libleveldb1d)");
            NativeLibrary.SetDllImportResolver(typeof(LevelDbNative).Assembly, (name, _, _) => name == Library ? _handle : IntPtr.Zero);
        }
    }

    public static void Check(IntPtr error, string path, string what)
    {
        if (error == IntPtr.Zero) return;
        string message = Marshal.PtrToStringUTF8(error) ?? "unknown error";
        leveldb_free(error);
        throw new DataException(path, $"{what}: {message}");
    }

    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    public static partial IntPtr leveldb_open(IntPtr options, string name, out IntPtr error);
    [LibraryImport(Library)] public static partial void leveldb_close(IntPtr db);
    [LibraryImport(Library)] public static partial void leveldb_write(IntPtr db, IntPtr options, IntPtr batch, out IntPtr error);
    [LibraryImport(Library)] public static partial IntPtr leveldb_create_iterator(IntPtr db, IntPtr options);
    [LibraryImport(Library)] public static partial void leveldb_iter_destroy(IntPtr iterator);
    [LibraryImport(Library)] public static partial byte leveldb_iter_valid(IntPtr iterator);
    [LibraryImport(Library)] public static partial void leveldb_iter_seek_to_first(IntPtr iterator);
    [LibraryImport(Library)] public static partial void leveldb_iter_next(IntPtr iterator);
    [LibraryImport(Library)] public static partial IntPtr leveldb_iter_key(IntPtr iterator, out nuint length);
    [LibraryImport(Library)] public static partial IntPtr leveldb_iter_value(IntPtr iterator, out nuint length);
    [LibraryImport(Library)] public static partial void leveldb_iter_get_error(IntPtr iterator, out IntPtr error);
    [LibraryImport(Library)] public static partial IntPtr leveldb_writebatch_create();
    [LibraryImport(Library)] public static partial void leveldb_writebatch_destroy(IntPtr batch);
    [LibraryImport(Library)] public static partial void leveldb_writebatch_clear(IntPtr batch);
    [LibraryImport(Library)] public static unsafe partial void leveldb_writebatch_put(IntPtr batch, byte* key, nuint keyLength, byte* value, nuint valueLength);
    [LibraryImport(Library)] public static partial IntPtr leveldb_options_create();
    [LibraryImport(Library)] public static partial void leveldb_options_destroy(IntPtr options);
    [LibraryImport(Library)] public static partial void leveldb_options_set_create_if_missing(IntPtr options, byte value);
    [LibraryImport(Library)] public static partial void leveldb_options_set_error_if_exists(IntPtr options, byte value);
    [LibraryImport(Library)] public static partial void leveldb_options_set_paranoid_checks(IntPtr options, byte value);
    [LibraryImport(Library)] public static partial void leveldb_options_set_write_buffer_size(IntPtr options, nuint size);
    [LibraryImport(Library)] public static partial IntPtr leveldb_readoptions_create();
    [LibraryImport(Library)] public static partial void leveldb_readoptions_destroy(IntPtr options);
    [LibraryImport(Library)] public static partial void leveldb_readoptions_set_verify_checksums(IntPtr options, byte value);
    [LibraryImport(Library)] public static partial IntPtr leveldb_writeoptions_create();
    [LibraryImport(Library)] public static partial void leveldb_writeoptions_destroy(IntPtr options);
    [LibraryImport(Library)] public static partial void leveldb_free(IntPtr pointer);
}
