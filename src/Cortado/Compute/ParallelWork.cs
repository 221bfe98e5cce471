namespace Cortado.Compute;

/// <summary>
/// Splits independent work (elements, planes, images) into contiguous parts, one per compute
/// thread. Every item is computed exactly as it would be alone, so results never depend on the
/// thread count. Work started inside a part runs on that part's thread (no nested fan-out), so
/// a layer that splits a batch among threads gets single-threaded GEMMs inside.
/// </summary>
public static class ParallelWork
{
    /// <summary>Below about this many element operations a split costs more than it saves.</summary>
    public const long MinimumWork = 1 << 18;

    [ThreadStatic] private static bool _insidePart;

    /// <summary>Threads available to the caller: all compute threads, or 1 inside a part of a split.</summary>
    public static int AvailableThreads => _insidePart ? 1 : ComputeSettings.Threads;

    /// <summary>
    /// Runs <paramref name="body"/>(part, start, end) over [0, <paramref name="count"/>) in at most
    /// <see cref="AvailableThreads"/> contiguous parts; one part when the total work is small.
    /// </summary>
    public static void For(int count, long workPerItem, Action<int, int, int> body)
    {
        if (count <= 0) return;
        int parts = PartsFor(count, workPerItem);
        if (parts == 1) { body(0, 0, count); return; }
        ThreadTeam.Shared.Run(parts, part =>
        {
            bool outer = _insidePart;
            _insidePart = true;
            try { body(part, (int)((long)count * part / parts), (int)((long)count * (part + 1) / parts)); }
            finally { _insidePart = outer; }
        });
    }

    /// <summary>An elementwise operation on matching slices of an input and an output span.</summary>
    public delegate void UnaryRange(ReadOnlySpan<float> input, Span<float> output);

    /// <summary>An elementwise operation on matching slices of two inputs and an output span.</summary>
    public delegate void BinaryRange(ReadOnlySpan<float> first, ReadOnlySpan<float> second, Span<float> output);

    /// <summary>
    /// Applies <paramref name="operation"/> to matching contiguous slices of <paramref name="input"/>
    /// and <paramref name="output"/> (same length; they may be the same memory), split among
    /// threads when long: a memory-bound pass over millions of floats runs at two cores' bandwidth.
    /// </summary>
    public static void ForRanges(ReadOnlySpan<float> input, Span<float> output, UnaryRange operation) =>
        ForRanges(input, input, output, (x, _, y) => operation(x, y));

    /// <summary>As above, with two inputs of the output's length.</summary>
    public static unsafe void ForRanges(ReadOnlySpan<float> first, ReadOnlySpan<float> second, Span<float> output, BinaryRange operation)
    {
        int length = output.Length;
        if (PartsFor(length, 1) == 1) { operation(first, second, output); return; }
        fixed (float* a = first, b = second, y = output)
        {
            nint pa = (nint)a, pb = (nint)b, py = (nint)y;
            For(length, 1, (_, start, end) => operation(
                new ReadOnlySpan<float>((float*)pa + start, end - start),
                new ReadOnlySpan<float>((float*)pb + start, end - start),
                new Span<float>((float*)py + start, end - start)));
        }
    }

    /// <summary>How many parts <see cref="For"/> would use, so callers can size per-part scratch space.</summary>
    public static int PartsFor(int count, long workPerItem)
    {
        if (count <= 1 || (long)count * Math.Max(1, workPerItem) < MinimumWork) return 1;
        return Math.Min(AvailableThreads, count);
    }
}
