namespace Cortado.Distributed;

/// <summary>
/// MPI_COMM_WORLD of a job started by mpirun. MPI is initialised once per process (funneled: only
/// the solver's thread calls it) and finalised on dispose. Every call's error code is checked,
/// though Open MPI's default handler aborts the job on an error first, which is what ends the
/// other ranks when one dies.
/// </summary>
public sealed unsafe class MpiCommunicator : ICommunicator
{
    private readonly nint _world, _float, _double, _long, _ulong, _sum, _min, _max;

    /// <summary>Whether this process was started by mpirun (Open MPI or PMIx sets these).</summary>
    public static bool UnderMpirun => Environment.GetEnvironmentVariable("OMPI_COMM_WORLD_SIZE") != null || Environment.GetEnvironmentVariable("PMIX_RANK") != null;

    /// <summary>The job's communicator under mpirun, else a single process.</summary>
    public static ICommunicator ForThisProcess() => UnderMpirun ? new MpiCommunicator() : SingleProcess.Instance;

    public MpiCommunicator()
    {
        Check(MpiNative.Initialized(out int initialized), "MPI_Initialized");
        if (initialized == 0) Check(MpiNative.InitThread(0, 0, MpiNative.ThreadFunneled, out _), "MPI_Init_thread");
        _world = MpiNative.Handle("ompi_mpi_comm_world");
        _float = MpiNative.Handle("ompi_mpi_float");
        _double = MpiNative.Handle("ompi_mpi_double");
        _long = MpiNative.Handle("ompi_mpi_long_long_int");
        _ulong = MpiNative.Handle("ompi_mpi_unsigned_long_long");
        _sum = MpiNative.Handle("ompi_mpi_op_sum");
        _min = MpiNative.Handle("ompi_mpi_op_min");
        _max = MpiNative.Handle("ompi_mpi_op_max");
        Check(MpiNative.CommRank(_world, out int rank), "MPI_Comm_rank");
        Check(MpiNative.CommSize(_world, out int size), "MPI_Comm_size");
        (Rank, Size) = (rank, size);
    }

    public int Rank { get; }
    public int Size { get; }

    private static void Check(int code, string call)
    {
        if (code != 0) throw new InvalidOperationException($"{call} failed with MPI error {code}");
    }

    public void SumInPlace(Span<double> values)
    {
        fixed (double* buffer = values) Check(MpiNative.Allreduce(MpiNative.InPlace, (nint)buffer, values.Length, _double, _sum, _world), "MPI_Allreduce");
    }

    public IPendingSum StartSum(float[] pinned)
    {
        // The caller's array is pinned (GC.AllocateArray pinned: true), so its address is fixed while the sum runs.
        nint address = (nint)System.Runtime.CompilerServices.Unsafe.AsPointer(ref System.Runtime.InteropServices.MemoryMarshal.GetArrayDataReference(pinned));
        Check(MpiNative.Iallreduce(MpiNative.InPlace, address, pinned.Length, _float, _sum, _world, out nint request), "MPI_Iallreduce");
        return new Pending(request);
    }

    public long Broadcast(long value)
    {
        long copy = value;
        Check(MpiNative.Bcast((nint)(&copy), 1, _long, 0, _world), "MPI_Bcast");
        return copy;
    }

    public bool AllEqual(ulong value)
    {
        ulong low = value, high = value;
        Check(MpiNative.Allreduce(MpiNative.InPlace, (nint)(&low), 1, _ulong, _min, _world), "MPI_Allreduce");
        Check(MpiNative.Allreduce(MpiNative.InPlace, (nint)(&high), 1, _ulong, _max, _world), "MPI_Allreduce");
        return low == high;
    }

    public void Dispose() => MpiNative.Finalize();

    private sealed class Pending(nint request) : IPendingSum
    {
        private nint _request = request;
        private bool _done;

        public void Poll()
        {
            if (_done) return;
            Check(MpiNative.Test(ref _request, out int flag, 0), "MPI_Test");
            _done = flag != 0;
        }

        public void Wait()
        {
            if (_done) return;
            Check(MpiNative.Wait(ref _request, 0), "MPI_Wait");
            _done = true;
        }
    }
}
