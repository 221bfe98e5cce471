namespace Cortado.Compute;

/// <summary>The common maps by name, so layer code reads as arithmetic.</summary>
public static class ComputeExtensions
{
    public static void Add(this ICompute c, DeviceSpan<float> a, DeviceSpan<float> b, DeviceSpan<float> y) => c.Map(new AddOp(), a, b, y);
    public static void Sub(this ICompute c, DeviceSpan<float> a, DeviceSpan<float> b, DeviceSpan<float> y) => c.Map(new SubOp(), a, b, y);
    public static void Mul(this ICompute c, DeviceSpan<float> a, DeviceSpan<float> b, DeviceSpan<float> y) => c.Map(new MulOp(), a, b, y);
    public static void Div(this ICompute c, DeviceSpan<float> a, DeviceSpan<float> b, DeviceSpan<float> y) => c.Map(new DivOp(), a, b, y);
    /// <summary>y = scale x + shift.</summary>
    public static void Affine(this ICompute c, DeviceSpan<float> x, float scale, float shift, DeviceSpan<float> y) => c.Map(new AffineOp(scale, shift), x, y);
}
