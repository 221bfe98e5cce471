namespace Cortado.Compute;

/// <summary>
/// Eight tiles whose Winograd transforms run together in the lanes of one vector: lanes 0-3 are
/// four neighbouring tiles of tile row <see cref="RowA"/> from column <see cref="ColumnA"/>, lanes
/// 4-7 four of row <see cref="RowB"/> from <see cref="ColumnB"/>. In a row of eight or more tiles
/// the two halves are one run of eight (B = A + 4), so they load and store as whole vectors.
/// </summary>
internal readonly record struct WinogradTileGroup(int RowA, int ColumnA, int RowB, int ColumnB);

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
    private readonly int _runsPerRow;

    public WinogradTileGroups(int firstTileRow, int endTileRow, int tileColumns)
    {
        if (tileColumns < Half) throw new ArgumentOutOfRangeException(nameof(tileColumns), $"Winograd tile groups need at least {Half} tiles a row, not {tileColumns}");
        FirstTileRow = firstTileRow;
        EndTileRow = endTileRow;
        TileColumns = tileColumns;
        int run = Wide ? Lanes : Half;
        _runsPerRow = (tileColumns + run - 1) / run;
        int runs = (endTileRow - firstTileRow) * _runsPerRow;
        Count = Wide ? runs : (runs + 1) / 2;
    }

    public int FirstTileRow { get; }
    public int EndTileRow { get; }
    public int TileColumns { get; }
    public int Count { get; }

    /// <summary>True where whole runs of eight fill each group.</summary>
    private bool Wide => TileColumns >= Lanes;

    public WinogradTileGroup this[int index]
    {
        get
        {
            if (Wide)
            {
                var (row, column) = Run(index, Lanes);
                return new WinogradTileGroup(row, column, row, column + Half);
            }
            int runs = (EndTileRow - FirstTileRow) * _runsPerRow;
            var (rowA, columnA) = Run(2 * index, Half);
            var (rowB, columnB) = Run(Math.Min(2 * index + 1, runs - 1), Half);
            return new WinogradTileGroup(rowA, columnA, rowB, columnB);
        }
    }

    /// <summary>Index of the tile at (row, column) among this range's tiles.</summary>
    public int TileIndex(int row, int column) => (row - FirstTileRow) * TileColumns + column;

    /// <summary>True where the four tiles from <paramref name="column"/> end their row.</summary>
    public bool EndsRow(int column) => column + Half == TileColumns;

    private (int Row, int Column) Run(int run, int length)
    {
        int row = FirstTileRow + run / _runsPerRow;
        int column = Math.Min(run % _runsPerRow * length, TileColumns - length);
        return (row, column);
    }
}
