using Cortado.Compute;

namespace Cortado.Tests.Compute;

public unsafe class GemmTests
{
    public static TheoryData<string> Kernels() => new(GemmKernel.Available.Select(k => k.Name));

    private static GemmKernel Kernel(string name) => GemmKernel.Available.Single(k => k.Name == name);

    private static void Check(GemmKernel? kernel, bool ta, bool tb, int m, int n, int k, float alpha = 1f, float beta = 0f,
        int padA = 0, int padB = 0, int padC = 0, int threads = 1)
    {
        int lda = (ta ? m : k) + padA, ldb = (tb ? k : n) + padB, ldc = n + padC;
        var a = Reference.Random(Math.Max(1, (ta ? k : m) * lda), 1);
        var b = Reference.Random(Math.Max(1, (tb ? n : k) * ldb), 2);
        var c = Reference.Random(Math.Max(1, m * ldc), 3);
        var (expected, magnitude) = Reference.Gemm(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
        var before = (float[])c.Clone();
        Gemm.Compute(ta ? Transpose.Yes : Transpose.No, tb ? Transpose.Yes : Transpose.No, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, kernel, threads);
        for (int i = 0; i < m; i++)
        {
            for (int j = 0; j < n; j++)
            {
                double tolerance = 1e-5 * magnitude[i * n + j] + 1e-6;
                Assert.True(Math.Abs(c[i * ldc + j] - expected[i * n + j]) <= tolerance,
                    $"{kernel?.Name ?? "default"} ta={ta} tb={tb} M={m} N={n} K={k}: C[{i},{j}] = {c[i * ldc + j]}, expected {expected[i * n + j]}");
            }
            for (int j = n; j < ldc; j++) Assert.Equal(before[i * ldc + j], c[i * ldc + j]); // padding untouched
        }
    }

    [Theory]
    [MemberData(nameof(Kernels))]
    public void OddSizesAndEveryTransposeMatchTheTripleLoop(string kernelName)
    {
        var kernel = Kernel(kernelName);
        int[] sizes = [1, 7, 33, 257];
        foreach (bool ta in new[] { false, true })
            foreach (bool tb in new[] { false, true })
                foreach (int m in sizes)
                    foreach (int n in sizes)
                        foreach (int k in sizes)
                        {
                            if (m * n * k > 33 * 257 * 257) continue; // the largest cube alone is covered below
                            Check(kernel, ta, tb, m, n, k);
                        }
    }

    [Fact]
    public void OneRowOrOneColumnRunsAsAMatrixVectorProduct()
    {
        // Without a kernel given, these take the gemv path (an inner product layer at batch 1);
        // padded leading dimensions fall back to the packed path. Both must give the product.
        foreach (bool ta in new[] { false, true })
            foreach (bool tb in new[] { false, true })
                foreach (var (m, n, k) in new[] { (1, 37, 50), (29, 1, 50), (1, 1, 7), (1, 300, 4700) })
                    foreach (float beta in new[] { 0f, 0.7f })
                    {
                        Check(null, ta, tb, m, n, k, alpha: 0.5f, beta: beta, threads: 2);
                        Check(null, ta, tb, m, n, k, alpha: 0.5f, beta: beta, padA: 2, padB: 3);
                    }
    }

    [Theory]
    [MemberData(nameof(Kernels))]
    public void SizesCrossingEveryCacheBlock(string kernelName)
    {
        var kernel = Kernel(kernelName);
        // M > MC, N > NC, K > KC (and a K just above KC), on one and two threads.
        Check(kernel, false, false, 257, 600, 300, threads: 2);
        Check(kernel, true, true, 250, 530, 520, alpha: 0.5f, beta: 2f, threads: 2);
        Check(kernel, false, true, 33, 1030, 257);
        Check(kernel, true, false, 257, 257, 257);
    }

    [Theory]
    [MemberData(nameof(Kernels))]
    public void ALargeBPrefetchedBlockByBlockGivesTheProduct(string kernelName)
    {
        // op(B) of more than 2^20 elements has its next block prefetched during the kernels; uneven
        // k and column blocks and a padded ldb put the prefetched rows anywhere in B.
        var kernel = Kernel(kernelName);
        Check(kernel, false, false, 13, 2100, 520, padB: 5);
        Check(kernel, true, false, 9, 1100, 1000, beta: 0.5f, padB: 3, threads: 2);
    }

    [Theory]
    [MemberData(nameof(Kernels))]
    public void TilesOfOneOrTwoRowsGiveTheProduct(string kernelName)
    {
        // 128 rows leave the 6-row kernel a last tile of two (an inner product at batch 128), 2 and
        // 13 rows tiles of two and one; odd and even depths end the kernels' unrolled k loops apart.
        var kernel = Kernel(kernelName);
        foreach (bool ta in new[] { false, true })
            foreach (bool tb in new[] { false, true })
                foreach (var (m, k) in new[] { (128, 229), (2, 64), (13, 31) })
                    Check(kernel, ta, tb, m, 40, k, alpha: 0.5f, beta: 0.7f);
    }

    [Theory]
    [MemberData(nameof(Kernels))]
    public void ALargeAOnColumnBlocksOfTwiceNCGivesTheProduct(string kernelName)
    {
        // op(A) of 2^19 elements or more is packed once per block of 2 NC columns; N crosses one.
        // NT keeps the reference's loops contiguous, so the billion multiply-adds take a second;
        // 72 rows, more than the deep schedule takes.
        var kernel = Kernel(kernelName);
        Check(kernel, false, true, 72, 2 * kernel.NC + 5, 7300, beta: 0.5f);
    }

    [Theory]
    [MemberData(nameof(Kernels))]
    public void TwoLargeOperandsAlongKPrefetchedBlockByBlockGiveTheProduct(string kernelName)
    {
        // A as it is and B transposed, k x m and k x n both of 2^20 or more: the next k block of
        // each is prefetched during the kernels (B's into the next block of columns after the last
        // k block, which 1100 columns reach on the portable kernel), on one thread and on two
        // splitting the rows.
        var kernel = Kernel(kernelName);
        Check(kernel, false, true, 128, 130, 8200, alpha: 0.5f, beta: 0.25f, padA: 3, padB: 1, padC: 2);
        Check(kernel, false, true, 128, 130, 8200, beta: 1f, threads: 2);
        Check(kernel, false, true, 100, 1100, 10500);
    }

    [Theory]
    [MemberData(nameof(Kernels))]
    public void FewRowsOnALongTransposedBRunOnDeepBlocksOfK(string kernelName)
    {
        // At most 64 rows and K of 4096 or more run with k blocks of about 1024 outermost and B^T
        // packed 48 or 64 rows at a time: odd M, N across several of those blocks with a partial
        // panel, K in five uneven blocks, alpha, beta and padded leading dimensions, A stored
        // transposed, and the columns or rows split between two threads.
        var kernel = Kernel(kernelName);
        Check(kernel, false, true, 37, 101, 5000, alpha: 0.5f, beta: 0.7f, padA: 3, padB: 5, padC: 2);
        Check(kernel, true, true, 64, 50, 4096, beta: 1f, padA: 1, threads: 2);
        Check(kernel, false, true, 5, 130, 4100, alpha: -1f, threads: 2);
        Check(kernel, false, true, 64, 9, 4500, beta: -0.5f, threads: 2);
    }

    [Theory]
    [InlineData(288, 4032, 336)]
    [InlineData(144, 100, 7)]
    [InlineData(3, 64, 1000)]
    public void APrefetchCursorCoversItsBlockInTheStepsItWasPacedFor(int rows, int rowBytes, int steps)
    {
        var block = new float[rows * 1024];
        fixed (float* start = block)
        {
            var cursor = new PrefetchCursor(start, rows, rowBytes, 4096);
            cursor.Pace(steps);
            for (int i = 0; i < steps - 1; i++) cursor.Step();
            long lines = (long)rows * ((rowBytes + 63) / 64);
            // Lines are spread evenly: one step short is unfinished unless every step takes a single line.
            if (lines > steps) Assert.False(cursor.Finished);
            cursor.Step();
            Assert.True(cursor.Finished);
        }
        Assert.True(default(PrefetchCursor).Finished);
    }

    [Theory]
    [MemberData(nameof(Kernels))]
    public void AlphaBetaAndLeadingDimensions(string kernelName)
    {
        var kernel = Kernel(kernelName);
        Check(kernel, false, false, 9, 35, 13, alpha: -1.5f, beta: 0.5f);
        Check(kernel, true, false, 9, 35, 13, alpha: 2f, beta: 1f, padA: 3, padB: 5, padC: 7);
        Check(kernel, false, true, 17, 40, 21, alpha: 1f, beta: -2f, padA: 1, padB: 2, padC: 3);
        Check(kernel, true, true, 8, 32, 64, alpha: 0.25f, beta: 1f, padC: 1);
    }

    [Fact]
    public void EachProductGetsTheKernelThatPadsItLeast()
    {
        if (GemmKernel.Best is GemmKernelAvx2)
        {
            var wide = GemmKernel.Available.OfType<GemmKernelAvx2Wide>().Single();
            Assert.Same(wide, GemmKernel.For(32, 28160)); // 32 rows: 8 tiles of 4, or 6 of 6 with 4 rows wasted
            Assert.Same(wide, GemmKernel.For(64, 576));
            Assert.Same(GemmKernel.Best, GemmKernel.For(2048, 2048));
            Assert.Same(GemmKernel.Best, GemmKernel.For(128, 128)); // 128 columns: 8 tiles of 16, or 6 of 24 with 16 wasted
            Assert.Same(GemmKernel.Best, GemmKernel.For(288, 28160));
        }
        else Assert.Same(GemmKernel.Best, GemmKernel.For(32, 28160));
        // The chosen kernels give the product, with ragged edges and several k blocks.
        foreach (var (m, n, k) in new[] { (32, 600, 300), (64, 48, 520), (36, 50, 7), (4, 1030, 33) })
            foreach (bool ta in new[] { false, true })
                Check(null, ta, !ta, m, n, k, alpha: 0.5f, beta: 0.25f, threads: 2);
    }

    [Fact]
    public void BetaZeroIgnoresWhatCHeld()
    {
        var c = Enumerable.Repeat(float.NaN, 6).ToArray();
        Gemm.Compute(Transpose.No, Transpose.No, 2, 3, 2, 1f, [1, 2, 3, 4], [1, 0, 0, 0, 1, 0], 0f, c);
        Assert.Equal([1f, 2f, 0f, 3f, 4f, 0f], c);
    }

    [Fact]
    public void HandComputedProduct()
    {
        // [1 2; 3 4] * [5 6; 7 8] = [19 22; 43 50]; then 2*that + 1*[1 1; 1 1]
        var c = new float[] { 1, 1, 1, 1 };
        Gemm.Compute(Transpose.No, Transpose.No, 2, 2, 2, 2f, [1, 2, 3, 4], [5, 6, 7, 8], 1f, c);
        Assert.Equal([39f, 45f, 87f, 101f], c);
        // A^T * B with A = [1 2; 3 4] gives [1 3; 2 4] * [5 6; 7 8] = [26 30; 38 44]
        Gemm.Compute(Transpose.Yes, Transpose.No, 2, 2, 2, 1f, [1, 2, 3, 4], [5, 6, 7, 8], 0f, c);
        Assert.Equal([26f, 30f, 38f, 44f], c);
    }

    [Fact]
    public void ZeroDepthOrZeroAlphaOnlyScalesC()
    {
        var c = new float[] { 1, 2, 3, 4 };
        Gemm.Compute(Transpose.No, Transpose.No, 2, 2, 0, 1f, [], [], 3f, c);
        Assert.Equal([3f, 6f, 9f, 12f], c);
        Gemm.Compute(Transpose.No, Transpose.No, 2, 2, 2, 0f, [9, 9, 9, 9], [9, 9, 9, 9], 0f, c);
        Assert.Equal([0f, 0f, 0f, 0f], c);
    }

    [Fact]
    public void OneThreadAndTwoThreadsGiveIdenticalResults()
    {
        foreach (var (m, n, k) in new[] { (32, 2816, 288), (128, 128, 1600), (300, 200, 500), (1000, 40, 64), (40, 200, 4500) })
        {
            var a = Reference.Random(m * k, 4);
            var b = Reference.Random(k * n, 5);
            var one = new float[m * n];
            var two = new float[m * n];
            Gemm.Compute(Transpose.No, Transpose.Yes, m, n, k, 1f, a, k, b, k, 0f, one, n, threads: 1);
            Gemm.Compute(Transpose.No, Transpose.Yes, m, n, k, 1f, a, k, b, k, 0f, two, n, threads: 2);
            Assert.Equal(one, two);
        }
    }

    [Fact]
    public void OperandsTooSmallAreRejected()
    {
        var e = Assert.Throws<ArgumentException>(() => Gemm.Compute(Transpose.No, Transpose.No, 3, 3, 3, 1f, new float[8], new float[9], 0f, new float[9]));
        Assert.Contains("A needs 9 elements", e.Message);
        Assert.Throws<ArgumentException>(() => Gemm.Compute(Transpose.No, Transpose.No, 2, 2, 2, 1f, new float[4], 1, new float[4], 2, 0f, new float[4], 2));
    }
}
