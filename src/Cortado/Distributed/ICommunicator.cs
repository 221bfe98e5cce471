namespace Cortado.Distributed;

/// <summary>
/// The collective operations data-parallel training needs, over the processes of one job. A single
/// process is <see cref="SingleProcess"/> (no MPI library is loaded); under mpirun it is
/// <see cref="MpiCommunicator"/>, a thin layer over Open MPI's C library.
/// </summary>
public interface ICommunicator : IDisposable
{
    int Rank { get; }
    int Size { get; }
    /// <summary>Sums <paramref name="values"/> over all ranks, in place, and waits.</summary>
    void SumInPlace(Span<double> values);
    /// <summary>Starts summing a pinned buffer over all ranks, in place; the returned handle finishes it.</summary>
    IPendingSum StartSum(float[] pinned);
    /// <summary>Rank 0's value, on every rank.</summary>
    long Broadcast(long value);
    /// <summary>Whether every rank holds the same value (compared by minimum and maximum).</summary>
    bool AllEqual(ulong value);
}

/// <summary>A sum in flight: <see cref="Wait"/> returns once the buffer holds the total.</summary>
public interface IPendingSum
{
    /// <summary>Lets the library move the sum along without blocking (MPI progresses inside its calls).</summary>
    void Poll();
    void Wait();
}

/// <summary>One process: every collective is the identity.</summary>
public sealed class SingleProcess : ICommunicator
{
    public static SingleProcess Instance { get; } = new();
    public int Rank => 0;
    public int Size => 1;
    public void SumInPlace(Span<double> values) { }
    public IPendingSum StartSum(float[] pinned) => Done.Instance;
    public long Broadcast(long value) => value;
    public bool AllEqual(ulong value) => true;
    public void Dispose() { }

    private sealed class Done : IPendingSum
    {
        public static Done Instance { get; } = new();
        public void Poll() { }
        public void Wait() { }
    }
}
