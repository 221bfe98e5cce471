using System.Runtime.CompilerServices;

namespace Cortado.Compute;

/// <summary>
/// Eight tiles whose Winograd transforms run together in the lanes of one vector: lanes 0-3 are
/// four neighbouring tiles of tile row <see cref="RowA"/> from column <see cref="ColumnA"/>, lanes
/// 4-7 four of row <see cref="RowB"/> from <see cref="ColumnB"/>. In a row of eight or more tiles
/// the two halves are one run of eight (B = A + 4), so they load and store as whole vectors.
/// </summary>
internal readonly record struct WinogradTileGroup(int RowA, int ColumnA, int RowB, int ColumnB);

/// <summary>
/// Where a group's two halves of four lanes lie, as a type argument of the transforms so that the
/// JIT compiles each once per case, with <c>typeof(TLanes) == typeof(LanesTogether)</c> folded to
/// a constant (a test, not a call, so the helpers stay small enough to inline):
/// <see cref="LanesTogether"/> in rows of eight tiles or more (lanes 4-7 follow 0-3 in one row:
/// one load, one store), <see cref="LanesApart"/> in narrower rows.
/// </summary>
internal interface ITileLanes;

internal readonly struct LanesTogether : ITileLanes;

internal readonly struct LanesApart : ITileLanes;

/// <summary>
/// The tile groups that cover tile rows [firstTileRow, endTileRow) of a plane with
/// <see cref="TileColumns"/> tiles a row (at least four), listed once per call in
/// <see cref="All"/> so the transforms' loops hold no calls. Rows of eight or more take runs of
/// eight, the last run of a row ending at its last tile (so it rewrites a few with the same
/// values). Narrower rows (a 7x7 to 14x14 output) take runs of four, the last again ending at the
/// row's end, and pair consecutive runs, which may lie in different rows; an odd last run is
/// paired with itself.
/// </summary>
internal readonly ref struct WinogradTileGroups
{
    private const int Lanes = Winograd.Lanes, Half = Lanes / 2;

    /// <summary>Lists the groups into <paramref name="storage"/>, which holds <see cref="CountFor"/> of them.</summary>
    public WinogradTileGroups(int firstTileRow, int endTileRow, int tileColumns, Span<WinogradTileGroup> storage)
    {
        if (tileColumns < Half) throw new ArgumentOutOfRangeException(nameof(tileColumns), $"Winograd tile groups need at least {Half} tiles a row, not {tileColumns}");
        FirstTileRow = firstTileRow;
        TileColumns = tileColumns;
        int count = CountFor(firstTileRow, endTileRow, tileColumns);
        if (storage.Length < count) throw new ArgumentException($"Winograd tile groups: storage for {storage.Length} of {count} groups", nameof(storage));
        int run = Wide ? Lanes : Half, row = firstTileRow, column = 0;
        // The next run's row and first column, and the run after it.
        (int Row, int Column) TakeRun()
        {
            var taken = (row, Math.Min(column, tileColumns - run));
            column += run;
            if (column >= tileColumns) (row, column) = (row + 1, 0);
            return taken;
        }
        for (int index = 0; index < count; index++)
        {
            var (rowA, columnA) = TakeRun();
            if (Wide) storage[index] = new WinogradTileGroup(rowA, columnA, rowA, columnA + Half);
            else
            {
                var (rowB, columnB) = row < endTileRow ? TakeRun() : (rowA, columnA);
                storage[index] = new WinogradTileGroup(rowA, columnA, rowB, columnB);
            }
        }
        All = storage[..count];
    }

    /// <summary>Groups that cover the rows: runs of eight in wide rows, pairs of runs of four in narrow ones.</summary>
    public static int CountFor(int firstTileRow, int endTileRow, int tileColumns)
    {
        int run = tileColumns >= Lanes ? Lanes : Half, runs = (endTileRow - firstTileRow) * ((tileColumns + run - 1) / run);
        return tileColumns >= Lanes ? runs : (runs + 1) / 2;
    }

    public int FirstTileRow { get; }
    public int TileColumns { get; }

    /// <summary>The groups in order.</summary>
    public ReadOnlySpan<WinogradTileGroup> All { get; }

    /// <summary>True where whole runs of eight fill each group (its lanes lie together: <see cref="LanesTogether"/>).</summary>
    public bool Wide => TileColumns >= Lanes;

    /// <summary>
    /// Where a group's tiles lie among this range's (tile (row, column) is (row - FirstTileRow) *
    /// TileColumns + column): lanes 0-3's first, and how far on lanes 4-7's start.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public (int First, long Next) TilesOf(WinogradTileGroup group)
    {
        int first = TileIndex(group.RowA, group.ColumnA);
        return (first, TileIndex(group.RowB, group.ColumnB) - first);
    }

    private int TileIndex(int row, int column) => (row - FirstTileRow) * TileColumns + column;

    /// <summary>True where the four tiles from <paramref name="column"/> end their row.</summary>
    public bool EndsRow(int column) => column + Half == TileColumns;
}
