namespace Cortado.Compute;

/// <summary>The common maps by name, so layer code reads as arithmetic.</summary>
public static class ComputeExtensions
{
    public static void Add(this ICompute c, DeviceSpan<float> a, DeviceSpan<float> b, DeviceSpan<float> y) => c.Map(new AddOp(), a, b, y);
    public static void Sub(this ICompute c, DeviceSpan<float> a, DeviceSpan<float> b, DeviceSpan<float> y) => c.Map(new SubOp(), a, b, y);
    public static void Mul(this ICompute c, DeviceSpan<float> a, DeviceSpan<float> b, DeviceSpan<float> y) => c.Map(new MulOp(), a, b, y);
}
