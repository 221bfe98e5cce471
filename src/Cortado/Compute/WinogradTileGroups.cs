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
/// JIT compiles each once per case with the test folded away: <see cref="LanesTogether"/> in rows
/// of eight tiles or more (lanes 4-7 follow 0-3 in one row: one load, one store),
/// <see cref="LanesApart"/> in narrower rows.
/// </summary>
internal interface ITileLanes
{
    static abstract bool Together { get; }
}

internal readonly struct LanesTogether : ITileLanes
{
    public static bool Together => true;
}

internal readonly struct LanesApart : ITileLanes
{
    public static bool Together => false;
}

/// <summary>
/// The tile groups that cover tile rows [FirstTileRow, EndTileRow) of a plane with
/// <see cref="TileColumns"/> tiles a row (at least four). Rows of eight or more take runs of
/// eight, the last run of a row ending at its last tile (so it rewrites a few with the same
/// values). Narrower rows (a 7x7 to 14x14 output) take runs of four, the last again ending at the
/// row's end, and pair consecutive runs, which may lie in different rows; an odd last run is
/// paired with itself. The transforms index tiles as (row - FirstTileRow) * TileColumns + column.
/// </summary>
internal readonly struct WinogradTileGroups
{
    private const int Lanes = Winograd.Lanes, Half = Lanes / 2;

    public WinogradTileGroups(int firstTileRow, int endTileRow, int tileColumns)
    {
        if (tileColumns < Half) throw new ArgumentOutOfRangeException(nameof(tileColumns), $"Winograd tile groups need at least {Half} tiles a row, not {tileColumns}");
        FirstTileRow = firstTileRow;
        EndTileRow = endTileRow;
        TileColumns = tileColumns;
    }

    public int FirstTileRow { get; }
    public int EndTileRow { get; }
    public int TileColumns { get; }

    /// <summary>True where whole runs of eight fill each group (its lanes lie together: <see cref="LanesTogether"/>).</summary>
    public bool Wide => TileColumns >= Lanes;

    /// <summary>Index of the tile at (row, column) among this range's tiles.</summary>
    public int TileIndex(int row, int column) => (row - FirstTileRow) * TileColumns + column;

    /// <summary>True where the four tiles from <paramref name="column"/> end their row.</summary>
    public bool EndsRow(int column) => column + Half == TileColumns;

    public Enumerator GetEnumerator() => new(this);

    /// <summary>The groups in order, a run at a time: the transforms' loop, with no division per group.</summary>
    public struct Enumerator
    {
        private readonly int _endRow, _columns, _run;
        private readonly bool _wide;
        private int _row, _column;

        public Enumerator(in WinogradTileGroups groups)
        {
            (_endRow, _columns, _wide) = (groups.EndTileRow, groups.TileColumns, groups.Wide);
            _run = _wide ? Lanes : Half;
            (_row, _column) = (groups.FirstTileRow, 0);
            Current = default;
        }

        public WinogradTileGroup Current { get; private set; }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public bool MoveNext()
        {
            if (_row >= _endRow) return false;
            var (rowA, columnA) = TakeRun();
            if (_wide) Current = new WinogradTileGroup(rowA, columnA, rowA, columnA + Half);
            else
            {
                var (rowB, columnB) = _row < _endRow ? TakeRun() : (rowA, columnA);
                Current = new WinogradTileGroup(rowA, columnA, rowB, columnB);
            }
            return true;
        }

        /// <summary>The next run's row and first column; a row's last run ends at its last tile.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private (int Row, int Column) TakeRun()
        {
            var run = (_row, Math.Min(_column, _columns - _run));
            _column += _run;
            if (_column >= _columns) (_row, _column) = (_row + 1, 0);
            return run;
        }
    }
}
