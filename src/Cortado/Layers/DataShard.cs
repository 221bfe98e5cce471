namespace Cortado.Layers;

/// <summary>
/// Which part of each global batch a process computes in data-parallel training: rank r of N takes
/// the r-th of every N consecutive batches (Caffe's multi-GPU rule), so the N ranks together see
/// what one process with N times the batch would. <see cref="Whole"/> is a single process.
/// </summary>
public readonly record struct DataShard(int Rank, int Ranks)
{
    public static DataShard Whole => new(0, 1);
    public bool IsWhole => Ranks <= 1;
}
