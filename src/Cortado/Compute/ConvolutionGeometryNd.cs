namespace Cortado.Compute;

/// <summary>
/// The window of a convolution over any number of spatial axes (Caffe's N-D im2col): per axis the
/// input size, kernel, padding, stride and dilation, and the output size each implies (rounded
/// down, as Caffe's). Column rows are channels x prod(kernel); columns are prod(output).
/// </summary>
public sealed record ConvolutionGeometryNd(int[] Input, int[] Kernel, int[] Pad, int[] Stride, int[] Dilation)
{
    public int Axes => Input.Length;
    public int[] Output { get; } = [.. Input.Select((size, a) => (size + 2 * Pad[a] - (Dilation[a] * (Kernel[a] - 1) + 1)) / Stride[a] + 1)];
    public int KernelSize => Kernel.Aggregate(1, (p, k) => p * k);
    public int InputSize => Input.Aggregate(1, (p, k) => p * k);
    public int OutputSize => Output.Aggregate(1, (p, k) => p * k);
}
