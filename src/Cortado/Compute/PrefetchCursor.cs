using System.Runtime.Intrinsics.X86;

namespace Cortado.Compute;

/// <summary>
/// Walks the cache lines of a strided block of memory (rows of equal length) a few at a time,
/// prefetching them while the kernels compute on the block before it, so that packing
/// the block reads from cache instead of waiting on memory row by row. Without x86's prefetch
/// instruction it does nothing.
/// </summary>
internal unsafe struct PrefetchCursor(float* start, int rows, int rowBytes, long strideBytes)
{
    private const int LineBytes = 64;
    private readonly byte* _start = (byte*)start;
    private int _row, _offset, _perStep;

    /// <summary>Spreads the block's lines evenly over <paramref name="steps"/> calls of <see cref="Step"/>.</summary>
    public void Pace(int steps)
    {
        if (_start == null || steps <= 0) return;
        long lines = (long)rows * ((rowBytes + LineBytes - 1) / LineBytes);
        _perStep = (int)Math.Max(1, (lines + steps - 1) / steps);
    }

    /// <summary>True once every line of the block has been prefetched (or there was no block, or no prefetch instruction).</summary>
    public readonly bool Finished => _start == null || _row >= rows || !Sse.IsSupported;

    public void Step()
    {
        if (_start == null || _row >= rows || !Sse.IsSupported) return;
        for (int i = 0; i < _perStep; i++)
        {
            byte* line = _start + _row * strideBytes + _offset;
            Sse.Prefetch0(line);
            _offset += LineBytes;
            if (_offset >= rowBytes)
            {
                _offset = 0;
                if (++_row >= rows) return;
            }
        }
    }
}
