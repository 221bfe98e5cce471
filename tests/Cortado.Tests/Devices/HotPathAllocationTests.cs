using Cortado.Tensors;
using static Cortado.Tests.Layers.LayerTestKit;

namespace Cortado.Tests.Devices;

/// <summary>
/// Layers keep their scratch space, sized at reshape: a forward and backward pass at a steady
/// shape allocates no buffer. What remains (a kernel's closure for the thread team, a shape array)
/// is a few hundred bytes whatever the blob size, so the check runs each layer at two sizes and
/// asks for the same small amount at both.
/// </summary>
public class HotPathAllocationTests
{
    private const long Small = 2048;

    private static long SteadyPassBytes(string prototxt, int[] shape)
    {
        var layer = Create(prototxt);
        Blob[] bottom = [Filled(1, 1f, shape)];
        var top = Tops(1);
        layer.SetUp(bottom, top);
        Cortado.Tests.Compute.Reference.Random(top[0].Count, 3).CopyTo(top[0].Diff);
        void Pass() { layer.Forward(bottom, top); layer.Backward(top, [true], bottom); }
        Pass();
        long before = GC.GetAllocatedBytesForCurrentThread();
        Pass();
        return GC.GetAllocatedBytesForCurrentThread() - before;
    }

    [Theory]
    [InlineData("type: 'BatchNorm'", 4, 3, 5, 5)]
    [InlineData("type: 'LRN' lrn_param { local_size: 3 }", 2, 5, 4, 4)]
    [InlineData("type: 'LRN' lrn_param { local_size: 3 norm_region: WITHIN_CHANNEL }", 2, 3, 5, 5)]
    [InlineData("type: 'Softmax'", 4, 6, 1, 1)]
    [InlineData("type: 'Sigmoid'", 4, 6, 2, 2)]
    [InlineData("type: 'TanH'", 4, 6, 2, 2)]
    [InlineData("type: 'PReLU'", 4, 6, 2, 2)]
    [InlineData("type: 'Scale' scale_param { bias_term: true }", 4, 6, 2, 2)]
    [InlineData("type: 'Dropout'", 4, 6, 2, 2)]
    [InlineData("type: 'Pooling' pooling_param { pool: MAX kernel_size: 2 stride: 2 }", 2, 3, 6, 6)]
    [InlineData("type: 'InnerProduct' inner_product_param { num_output: 5 }", 4, 6, 2, 2)]
    public void ASteadyPassAllocatesNoBuffer(string prototxt, params int[] shape)
    {
        long small = SteadyPassBytes(prototxt, shape);
        long large = SteadyPassBytes(prototxt, [shape[0] * 4, .. shape[1..]]);
        Assert.True(small <= Small && large <= small, $"a steady pass allocated {small} bytes at {string.Join("x", shape)} and {large} at 4 times the batch");
    }

    [Theory]
    [InlineData("type: 'SoftmaxWithLoss'")]
    [InlineData("type: 'HingeLoss'")]
    public void ALossPassAllocatesNoBuffer(string prototxt)
    {
        foreach (int batch in new[] { 8, 32 })
            Assert.True(LossPassBytes(prototxt, batch) <= Small, $"a steady pass at batch {batch} allocated {LossPassBytes(prototxt, batch)} bytes");
    }

    private static long LossPassBytes(string prototxt, int batch)
    {
        var layer = Create(prototxt);
        Blob[] bottom = [Filled(1, 1f, batch, 5), Labels(5, 2, batch)];
        var top = Tops(1);
        layer.SetUp(bottom, top);
        bool[] propagate = [true, false];
        layer.Forward(bottom, top);
        layer.Backward(top, propagate, bottom);
        long before = GC.GetAllocatedBytesForCurrentThread();
        layer.Forward(bottom, top);
        layer.Backward(top, propagate, bottom);
        return GC.GetAllocatedBytesForCurrentThread() - before;
    }
}
