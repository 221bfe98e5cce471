using System.Reflection;
using System.Runtime.InteropServices;

namespace Cortado.Distributed;

/// <summary>
/// Open MPI's C API (libmpi.so.40, Debian's libopenmpi3), bound at run time so that a single
/// process never loads it. In Open MPI a handle (MPI_COMM_WORLD, MPI_FLOAT, MPI_SUM) is the address
/// of a global object the library exports, so those are looked up by symbol; MPI_IN_PLACE is (void*)1.
/// </summary>
internal static unsafe partial class MpiNative
{
    private const string Library = "mpi";
    public static readonly nint InPlace = 1;

    static MpiNative() => NativeLibrary.SetDllImportResolver(typeof(MpiNative).Assembly, Resolve);

    private static nint _handle;

    private static nint Resolve(string name, Assembly assembly, DllImportSearchPath? path)
    {
        if (name != Library) return 0;
        if (_handle != 0) return _handle;
        foreach (var candidate in new[] { "libmpi.so.40", "libmpi.so" })
            if (NativeLibrary.TryLoad(candidate, out _handle)) return _handle;
        throw new DllNotFoundException("cannot load Open MPI's libmpi.so.40; install Debian's openmpi-bin (apt-get install openmpi-bin) to train under mpirun");
    }

    /// <summary>The address of an exported Open MPI object (ompi_mpi_comm_world, ompi_mpi_float, ...): the handle.</summary>
    public static nint Handle(string symbol)
    {
        if (_handle == 0) Resolve(Library, typeof(MpiNative).Assembly, null);
        return NativeLibrary.GetExport(_handle, symbol);
    }

    public const int ThreadFunneled = 1;

    [LibraryImport(Library, EntryPoint = "MPI_Init_thread")] public static partial int InitThread(nint argc, nint argv, int required, out int provided);
    [LibraryImport(Library, EntryPoint = "MPI_Initialized")] public static partial int Initialized(out int flag);
    [LibraryImport(Library, EntryPoint = "MPI_Finalize")] public static partial int Finalize();
    [LibraryImport(Library, EntryPoint = "MPI_Comm_rank")] public static partial int CommRank(nint comm, out int rank);
    [LibraryImport(Library, EntryPoint = "MPI_Comm_size")] public static partial int CommSize(nint comm, out int size);
    [LibraryImport(Library, EntryPoint = "MPI_Allreduce")] public static partial int Allreduce(nint send, nint receive, int count, nint type, nint op, nint comm);
    [LibraryImport(Library, EntryPoint = "MPI_Iallreduce")] public static partial int Iallreduce(nint send, nint receive, int count, nint type, nint op, nint comm, out nint request);
    [LibraryImport(Library, EntryPoint = "MPI_Test")] public static partial int Test(ref nint request, out int flag, nint status);
    [LibraryImport(Library, EntryPoint = "MPI_Wait")] public static partial int Wait(ref nint request, nint status);
    [LibraryImport(Library, EntryPoint = "MPI_Bcast")] public static partial int Bcast(nint buffer, int count, nint type, int root, nint comm);
}
