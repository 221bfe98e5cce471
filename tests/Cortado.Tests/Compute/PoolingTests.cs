using Cortado.Compute;

namespace Cortado.Tests.Compute;

public class PoolingTests
{
    [Theory]
    [InlineData(20, 2, 0, 1, true, 19)]   // the seed net: 20x11 after conv2, kernel 2 stride 1
    [InlineData(11, 2, 0, 1, true, 10)]
    [InlineData(20, 2, 0, 2, true, 10)]   // Keras's stride (= pool size)
    [InlineData(11, 2, 0, 2, true, 6)]    // ceil: (11-2)/2 = 4.5 -> 5, +1
    [InlineData(11, 2, 0, 2, false, 5)]   // floor
    [InlineData(6, 3, 0, 2, true, 3)]
    [InlineData(5, 3, 1, 2, true, 3)]     // ceil gives 3; last window starts at 4-1=3 < 5+1, kept
    [InlineData(4, 2, 1, 2, true, 3)]     // ceil((4+2-2)/2)+1 = 3; start 3 < 4+1, kept
    [InlineData(3, 2, 1, 2, true, 2)]     // ceil((3+2-2)/2)+1 = 3, but window 2 would start at 3 >= 3+1? no: 2*2=4 >= 4 -> dropped
    [InlineData(13, 3, 0, 2, true, 6)]    // CaffeNet-style 3/2 pooling
    public void OutputSizeRoundsLikeCaffe(int input, int kernel, int pad, int stride, bool ceil, int expected)
    {
        Assert.Equal(expected, Pooling.OutputSize(input, kernel, pad, stride, ceil));
    }

    [Fact]
    public void MaxPoolingHandComputed()
    {
        // 3x3 input, 2x2 kernel, stride 1 -> 2x2 output.
        float[] input = [1, 5, 2,
                         4, 3, 9,
                         0, 7, 6];
        var g = new PoolingGeometry(3, 3, 2, 2, 0, 0, 1, 1);
        var top = new float[4];
        var mask = new int[4];
        Pooling.MaxForward(input, 1, g, top, mask);
        Assert.Equal([5f, 9f, 7f, 9f], top);
        Assert.Equal([1, 5, 7, 5], mask);

        var bottomDiff = Enumerable.Repeat(42f, 9).ToArray();
        Pooling.MaxBackward([1, 2, 3, 4], mask, 1, g, bottomDiff);
        Assert.Equal([0f, 1f, 0f, 0f, 0f, 6f, 0f, 3f, 0f], bottomDiff);
    }

    [Fact]
    public void MaxPoolingCeilWindowOverhangsTheEdge()
    {
        // 1x3 row, kernel 2 stride 2 -> ceil gives 2 outputs; the second window holds only the last input.
        var g = new PoolingGeometry(1, 3, 1, 2, 0, 0, 1, 2);
        var top = new float[2];
        var mask = new int[2];
        Pooling.MaxForward([-3, -1, -2], 1, g, top, mask);
        Assert.Equal([-1f, -2f], top);
        Assert.Equal([1, 2], mask);
    }

    [Fact]
    public void AveragePoolingCountsPaddingInTheDivisor()
    {
        // 2x2 input [1 2; 3 4], kernel 2, stride 1, pad 1 -> 3x3 output. The corner window covers one
        // real input and three padded zeros, so it is 1/4; the centre covers all four: 10/4.
        var g = new PoolingGeometry(2, 2, 2, 2, 1, 1, 1, 1);
        Assert.Equal(3, g.PooledHeight);
        var top = new float[9];
        Pooling.AverageForward([1, 2, 3, 4], 1, g, top);
        Assert.Equal([0.25f, 0.75f, 0.5f, 1f, 2.5f, 1.5f, 0.75f, 1.75f, 1f], top);
    }

    [Fact]
    public void AverageBackwardIsTheAdjointOfForward()
    {
        var g = new PoolingGeometry(7, 6, 3, 2, 1, 1, 2, 2);
        int planes = 3, inputs = planes * 7 * 6, outputs = planes * g.PooledHeight * g.PooledWidth;
        var x = Reference.Random(inputs, 1);
        var y = Reference.Random(outputs, 2);
        var top = new float[outputs];
        var bottomDiff = new float[inputs];
        Pooling.AverageForward(x, planes, g, top);
        Pooling.AverageBackward(y, planes, g, bottomDiff);
        double left = 0, right = 0;
        for (int i = 0; i < outputs; i++) left += (double)top[i] * y[i];
        for (int i = 0; i < inputs; i++) right += (double)x[i] * bottomDiff[i];
        Assert.True(Math.Abs(left - right) < 1e-4, $"{left} vs {right}");
    }

    [Fact]
    public void PlanesAreIndependent()
    {
        var g = new PoolingGeometry(2, 2, 2, 2, 0, 0, 2, 2);
        var top = new float[2];
        var mask = new int[2];
        Pooling.MaxForward([1, 2, 3, 4, 8, 7, 6, 5], 2, g, top, mask);
        Assert.Equal([4f, 8f], top);
        Assert.Equal([3, 0], mask);
    }
}
