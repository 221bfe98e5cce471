using Cortado.Compute;

namespace Cortado.Tests.Compute;

/// <summary>
/// The vectorised and threaded kernels against plain scalar loops written here: same values
/// bit for bit (NaN included), same winners, on every remainder length and on 1 and 2 threads.
/// </summary>
[Collection(ThreadCountCollection.Name)]
public class FastKernelTests
{
    public static TheoryData<int, int, int, int, int, bool> PoolingCases() => new()
    {
        // height, width, kernel, stride, pad, ceil
        { 24, 24, 2, 1, 0, true },   // the seed net as written (Fashion-MNIST size)
        { 24, 24, 2, 2, 0, false },  // the Keras stride
        { 20, 11, 2, 1, 0, true },   // the seed net on 24x15 numbers
        { 9, 17, 2, 1, 0, true },    // the narrowest rows whose max backward gathers: two groups overlapping by one
        { 13, 37, 3, 2, 0, true },   // CaffeNet-style, ceil overhang on the right
        { 17, 33, 3, 2, 1, true },   // padded windows on both sides
        { 9, 40, 3, 3, 1, false },
        { 5, 8, 2, 1, 0, true },     // exactly one SIMD group
        { 6, 7, 2, 1, 0, true },     // too narrow for SIMD
        { 16, 16, 3, 2, 0, true },   // CIFAR-10 quick's second pooling (and its first, at 32x32)
        { 8, 8, 3, 2, 0, true },     // its third: four outputs a row, half a vector
        { 10, 21, 2, 2, 1, false },  // padding on one side only reaches a window
        { 12, 30, 3, 1, 1, false },  // stride 1 with padding
        { 16, 16, 3, 2, 1, true },   // padded stride 2, eight outputs a row
        { 11, 11, 2, 2, 0, true },   // ceil overhang, six outputs a row
        { 20, 31, 3, 3, 2, true },   // a gather's stride, padding and overhang
        { 12, 30, 3, 3, 1, false },  // padding that only the first window of a row reaches
        { 7, 30, 3, 3, 0, false },   // stride 3 inside the rows: gathered in place
        { 2, 32, 2, 2, 0, false },   // one row of windows ending at the plane's end, nothing before it: gathered
    };

    [Theory]
    [MemberData(nameof(PoolingCases))]
    public void MaxPoolingMatchesTheScalarLoop(int height, int width, int kernel, int stride, int pad, bool ceil)
    {
        var g = new PoolingGeometry(height, width, kernel, kernel, pad, pad, stride, stride, ceil);
        int planes = 5, outputs = planes * g.PooledHeight * g.PooledWidth;
        // Few distinct values, so windows have ties; a NaN, which never wins a comparison; and a corner of
        // -infinity, which a window starting there keeps (with the first index), as the scalar loop does.
        var input = Reference.Random(planes * height * width, 7).Select(v => MathF.Round(v * 3f)).ToArray();
        input[width + 3] = float.NaN;
        foreach (int corner in new[] { 0, 1, width, width + 1 }) input[corner] = float.NegativeInfinity;
        var (expected, expectedMask) = ScalarMaxPool(input, planes, g);
        foreach (int threads in new[] { 1, 2 })
        {
            using var _ = new ThreadCount(threads);
            var top = new float[outputs];
            var mask = new int[outputs];
            Pooling.MaxForward(input, planes, g, top, mask);
            Assert.Equal(expectedMask, mask);
            Assert.Equal(expected.Select(BitConverter.SingleToInt32Bits), top.Select(BitConverter.SingleToInt32Bits));

            var gradient = Reference.Random(outputs, 8);
            var bottomDiff = Enumerable.Repeat(42f, input.Length).ToArray();
            Pooling.MaxBackward(gradient, mask, planes, g, bottomDiff);
            var expectedDiff = new float[input.Length];
            int inPlane = height * width, outPlane = g.PooledHeight * g.PooledWidth;
            for (int i = 0; i < outputs; i++) expectedDiff[i / outPlane * inPlane + mask[i]] += gradient[i];
            Assert.Equal(expectedDiff.Select(BitConverter.SingleToInt32Bits), bottomDiff.Select(BitConverter.SingleToInt32Bits));
        }
    }

    [Theory]
    [MemberData(nameof(PoolingCases))]
    public void AveragePoolingMatchesTheScalarLoop(int height, int width, int kernel, int stride, int pad, bool ceil)
    {
        var g = new PoolingGeometry(height, width, kernel, kernel, pad, pad, stride, stride, ceil);
        int planes = 5, outPlane = g.PooledHeight * g.PooledWidth, inPlane = height * width;
        var input = Reference.Random(planes * inPlane, 9);
        var gradient = Reference.Random(planes * outPlane, 10);
        // Caffe's rule written out: the divisor counts the window clipped to the padded input, the sum only real inputs.
        var expected = new float[planes * outPlane];
        var expectedDiff = new float[planes * inPlane];
        for (int plane = 0; plane < planes; plane++)
            for (int ph = 0; ph < g.PooledHeight; ph++)
                for (int pw = 0; pw < g.PooledWidth; pw++)
                {
                    int hs = ph * stride - pad, ws = pw * stride - pad;
                    int he = Math.Min(hs + kernel, height + pad), we = Math.Min(ws + kernel, width + pad);
                    int size = (he - hs) * (we - ws);
                    float sum = 0f, share = gradient[plane * outPlane + ph * g.PooledWidth + pw] / size;
                    for (int h = Math.Max(hs, 0); h < Math.Min(he, height); h++)
                        for (int w = Math.Max(ws, 0); w < Math.Min(we, width); w++)
                        {
                            sum += input[plane * inPlane + h * width + w];
                            expectedDiff[plane * inPlane + h * width + w] += share;
                        }
                    expected[plane * outPlane + ph * g.PooledWidth + pw] = sum / size;
                }
        foreach (int threads in new[] { 1, 2 })
        {
            using var _ = new ThreadCount(threads);
            var top = new float[expected.Length];
            Pooling.AverageForward(input, planes, g, top);
            Assert.Equal(expected.Select(BitConverter.SingleToInt32Bits), top.Select(BitConverter.SingleToInt32Bits));
            var bottomDiff = Enumerable.Repeat(42f, input.Length).ToArray();
            Pooling.AverageBackward(gradient, planes, g, bottomDiff);
            Assert.Equal(expectedDiff, bottomDiff);
        }
    }

    private static (float[] Top, int[] Mask) ScalarMaxPool(float[] input, int planes, PoolingGeometry g)
    {
        int outPlane = g.PooledHeight * g.PooledWidth, inPlane = g.Height * g.Width;
        var top = new float[planes * outPlane];
        var mask = new int[planes * outPlane];
        for (int plane = 0; plane < planes; plane++)
            for (int ph = 0; ph < g.PooledHeight; ph++)
                for (int pw = 0; pw < g.PooledWidth; pw++)
                {
                    int h0 = Math.Max(ph * g.StrideH - g.PadH, 0), h1 = Math.Min(ph * g.StrideH - g.PadH + g.KernelH, g.Height);
                    int w0 = Math.Max(pw * g.StrideW - g.PadW, 0), w1 = Math.Min(pw * g.StrideW - g.PadW + g.KernelW, g.Width);
                    float best = 0;
                    int bestIndex = -1;
                    for (int h = h0; h < h1; h++)
                        for (int w = w0; w < w1; w++)
                        {
                            float v = input[plane * inPlane + h * g.Width + w];
                            if (bestIndex < 0 || v > best) { best = v; bestIndex = h * g.Width + w; }
                        }
                    top[plane * outPlane + ph * g.PooledWidth + pw] = best;
                    mask[plane * outPlane + ph * g.PooledWidth + pw] = bestIndex;
                }
        return (top, mask);
    }

    [Fact]
    public void RectifierMatchesTheScalarRuleOnEveryLength()
    {
        foreach (float slope in new[] { 0f, 0.1f })
        {
            for (int length = 0; length <= 300; length++)
            {
                var x = Reference.Random(length, length);
                if (length > 5) { x[5] = float.NaN; x[4] = 0f; x[3] = -0f; }
                var dy = Reference.Random(length, length + 1000);
                var y = new float[length];
                var dx = new float[length];
                Rectifier.Forward(x, slope, y);
                Rectifier.Backward(x, dy, slope, dx);
                for (int i = 0; i < length; i++)
                {
                    Assert.Equal(BitConverter.SingleToInt32Bits(x[i] > 0f ? x[i] : slope * x[i]), BitConverter.SingleToInt32Bits(y[i]));
                    Assert.Equal(BitConverter.SingleToInt32Bits(x[i] > 0f ? dy[i] : slope * dy[i]), BitConverter.SingleToInt32Bits(dx[i]));
                }
                Rectifier.Forward(x, slope, x); // in place
                Assert.Equal(y.Select(BitConverter.SingleToInt32Bits), x.Select(BitConverter.SingleToInt32Bits));
            }
        }
    }

    [Fact]
    public void LongBlasAndElementwisePassesSplitWithoutChangingABit()
    {
        const int length = 1_000_003; // long enough to split, odd so the halves differ
        var x = Reference.Random(length, 11);
        var b = Reference.Random(length, 12);
        float[] Run(int threads, Action<float[]> operation)
        {
            using var _ = new ThreadCount(threads);
            var y = Reference.Random(length, 13);
            operation(y);
            return y;
        }
        var operations = new Action<float[]>[]
        {
            y => Blas.Axpy(0.3f, x, y),
            y => Blas.Axpby(0.3f, x, 0.9f, y),
            y => Blas.Scal(-1.7f, y),
            y => OperatorDriver.Map(new MulOp(), x, b, y),
            y => OperatorDriver.Map(new SigmoidOp(), x, y),
            y => Elementwise.Add(x, b, y),
        };
        foreach (var operation in operations)
            Assert.Equal(Run(1, operation), Run(2, operation));
        // And the split result is the plain vectorised one.
        var expected = Reference.Random(length, 13);
        System.Numerics.Tensors.TensorPrimitives.MultiplyAdd(x, 0.3f, expected, expected);
        Assert.Equal(expected, Run(2, operations[0]));
    }

    [Fact]
    public void RectifierKeepsNaNVisible()
    {
        var y = new float[1];
        Rectifier.Forward([float.NaN], 0f, y);
        Assert.True(float.IsNaN(y[0]));
    }

    [Theory]
    [InlineData(0.75)]
    [InlineData(0.5)]
    [InlineData(0.1)]
    public void BernoulliKeepsTheRequestedFraction(double p)
    {
        var mask = new float[200_003];
        BernoulliHash.Fill(mask, p, 2f, key: 12345);
        Assert.All(mask, v => Assert.True(v == 0f || v == 2f));
        double kept = mask.Count(v => v != 0f) / (double)mask.Length;
        // Binomial standard deviation is at most 0.0012 here; allow five of them.
        Assert.InRange(kept, p - 0.006, p + 0.006);
        // Neighbours are independent: P(both kept) is p^2.
        int pairs = 0;
        for (int i = 0; i + 1 < mask.Length; i += 2) if (mask[i] != 0 && mask[i + 1] != 0) pairs++;
        Assert.InRange(pairs / (mask.Length / 2.0), p * p - 0.01, p * p + 0.01);
    }

    [Fact]
    public void BernoulliIsFixedByItsKeyAndNotByTheThreadCount()
    {
        float[] Draw(ulong key, int threads)
        {
            using var _ = new ThreadCount(threads);
            var mask = new float[100_001];
            BernoulliHash.Fill(mask, 0.5, 1f, key);
            return mask;
        }
        Assert.Equal(Draw(7, 1), Draw(7, 2));
        Assert.NotEqual(Draw(7, 1), Draw(8, 1));
        var none = new float[77];
        BernoulliHash.Fill(none, 0.0, 1f, 3);
        Assert.All(none, v => Assert.Equal(0f, v));
        var all = new float[77];
        BernoulliHash.Fill(all, 1.0, 1f, 3);
        Assert.All(all, v => Assert.Equal(1f, v));
    }

    [Theory]
    [InlineData(0.75, 1, 0L)]
    [InlineData(0.75, 2, 0L)]
    [InlineData(0.5, 2, 123_457L)] // a shard's part of the batch's mask
    [InlineData(1.0, 1, 9L)]
    [InlineData(0.0, 2, 9L)]
    public void MultiplyingByTheMaskIsTheProductWithTheMaskFillDraws(double p, int threads, long offset)
    {
        using var _ = new ThreadCount(threads);
        var x = Reference.Random(100_003, 5);
        x[3] = float.NaN; x[11] = float.PositiveInfinity; x[17] = -0f;
        var mask = new float[x.Length];
        BernoulliHash.Fill(mask, p, 4f / 3f, key: 77, offset);
        var expected = x.Select((v, i) => v * mask[i]).ToArray();
        var y = new float[x.Length];
        BernoulliHash.Multiply(x, p, 4f / 3f, key: 77, offset, y);
        Assert.Equal(expected.Select(BitConverter.SingleToInt32Bits), y.Select(BitConverter.SingleToInt32Bits));
        // In place, as dropout runs on its bottom.
        BernoulliHash.Multiply(x, p, 4f / 3f, key: 77, offset, x);
        Assert.Equal(expected.Select(BitConverter.SingleToInt32Bits), x.Select(BitConverter.SingleToInt32Bits));
    }
}

/// <summary>Tests that change <see cref="ComputeSettings.Threads"/> run one at a time.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ThreadCountCollection
{
    public const string Name = "changes the compute thread count";
}

/// <summary>Sets the compute thread count for a block and restores it.</summary>
internal sealed class ThreadCount : IDisposable
{
    private readonly int _previous = ComputeSettings.Threads;
    public ThreadCount(int threads) => ComputeSettings.Threads = threads;
    public void Dispose() => ComputeSettings.Threads = _previous;
}

public class ThreadTeamTests
{
    [Fact]
    public void EveryPartRunsOnceAndFailuresReachTheCaller()
    {
        var team = new ThreadTeam();
        for (int round = 0; round < 200; round++)
        {
            var hits = new int[3];
            team.Run(3, part => Interlocked.Increment(ref hits[part]));
            Assert.Equal([1, 1, 1], hits);
        }
        var error = Assert.Throws<InvalidOperationException>(() => team.Run(2, part => { if (part == 1) throw new InvalidOperationException("part 1 failed"); }));
        Assert.Equal("part 1 failed", error.Message);
        var after = new int[2];
        team.Run(2, part => after[part] = part + 1);
        Assert.Equal([1, 2], after);
    }

    [Fact]
    public void AJobStartedFromInsideAPartRunsInline()
    {
        var team = new ThreadTeam();
        var inner = new int[2, 2];
        team.Run(2, outer => team.Run(2, part => inner[outer, part]++));
        Assert.Equal(new[,] { { 1, 1 }, { 1, 1 } }, inner);
    }

    [Fact]
    public void ConcurrentCallersAllFinish()
    {
        var team = new ThreadTeam();
        var totals = new long[4];
        Parallel.For(0, 4, caller =>
        {
            for (int round = 0; round < 300; round++)
                team.Run(2, part => Interlocked.Add(ref totals[caller], part + 1));
        });
        Assert.All(totals, total => Assert.Equal(300 * 3, total));
    }
}
