namespace Cortado.Gpu.Kernels;

/// <summary>
/// Grid-stride loops: every kernel is launched on a fixed grid and each thread walks the elements
/// from its global index in steps of the whole grid. One launch shape serves any length, and on
/// ILGPU's CPU accelerator a few threads with long loops run a hundred times faster than a thread
/// per element.
/// </summary>
internal static class Lane
{
    public static int First => Grid.GlobalIndex.X;
    public static int Step => Grid.DimX * Group.DimX;
}
