namespace Cortado.Compute;

/// <summary>
/// Single-precision general matrix multiply, row-major like Caffe's <c>caffe_cpu_gemm</c>:
/// C = alpha * op(A) * op(B) + beta * C, with op(A) of size M x K, op(B) K x N, C M x N.
/// Cache-blocked and packed (BLIS's loop structure), with a SIMD micro-kernel chosen for the
/// processor, and split across <see cref="ComputeSettings.Threads"/> threads by columns or
/// rows of C, so each element is computed identically on any number of threads.
/// When beta is 0, C is not read (it may hold anything, NaN included).
/// </summary>
public static unsafe class Gemm
{
    /// <summary>
    /// Below this many multiply-adds a product runs on one thread: a split costs the scheduling and,
    /// worse, pulls operands written by one core into another's cache. At 2^21 a convolution's
    /// per-image product (32 x 576 x 288) splits: on a Zen 3 with 2 threads it ran at 95 GFLOP/s
    /// instead of 61, and the seed net's training (parallel over images, not inside these) was unchanged.
    /// </summary>
    private const long ParallelThreshold = 1 << 21;

    /// <summary>
    /// From this many elements of op(B) on, the block of B packed next is prefetched while the
    /// kernels run on the current one: below it B stays in cache and the prefetches cost time.
    /// </summary>
    private const long PrefetchedB = 1 << 20;

    /// <summary>
    /// From this many elements of op(A) on, A is a matrix read from memory each time it is packed,
    /// once per block of columns, and blocks of twice the kernel's NC pay: 2048^3 went from 99.6 to
    /// 104.4 GFLOP/s on a Zen 4 thread (6 x 16 kernel), 480 x 2048 x 2048 from 98.2 to 100.8.
    /// </summary>
    private const long LargeA = 1 << 19;

    /// <summary>
    /// Products of at most this many rows whose large B is prefetched run on blocks of half the
    /// kernel's NC: their kernels are waiting on B, and a block and the next one's prefetched rows
    /// then both stay in L2. 32 x 28160 x 288 went from 67.7 to 71.4 GFLOP/s on one Zen 4 thread
    /// (4 x 24 kernel) and from 95 to 106 on two; 24 x 28160 x 288 from 51.6 to 56.8 (6 x 16).
    /// </summary>
    private const int FewRows = 32;

    /// <summary>
    /// The deep schedule's k block (see <c>Problem.RunDeep</c>): rows of a large B^T are read 4 KB
    /// at a time. 32 x 288 x 28160 (NT) went from 53-58 to 62-68 GFLOP/s on a Zen 4 thread held to
    /// AVX2 (4 x 24 kernel), from 59-65 to 68-72 at AVX-512; 1 KB pieces of 288 rows read at 10
    /// GB/s, where sequential reading reaches 26.
    /// </summary>
    private const int DeepDepth = 1024;

    /// <summary>Rows of B^T packed at once on the deep schedule: 48 x 1024 floats (192 KB) beside A's.</summary>
    private const int DeepColumns = 48;

    /// <summary>
    /// Products of at most this many rows may run on the deep schedule: A's packed block (64 x 1024
    /// floats at most, 256 KB) and B's then share L2.
    /// </summary>
    private const int DeepRows = 64;

    /// <summary>With tight leading dimensions, as Caffe's layers call it.</summary>
    public static void Compute(Transpose transA, Transpose transB, int m, int n, int k, float alpha,
        ReadOnlySpan<float> a, ReadOnlySpan<float> b, float beta, Span<float> c) =>
        Compute(transA, transB, m, n, k, alpha, a, transA == Transpose.No ? k : m, b, transB == Transpose.No ? n : k, beta, c, n);

    public static void Compute(Transpose transA, Transpose transB, int m, int n, int k, float alpha,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, float beta, Span<float> c, int ldc,
        GemmKernel? kernel = null, int? threads = null)
    {
        if (m < 0 || n < 0 || k < 0) throw new ArgumentException($"gemm sizes must not be negative (M={m}, N={n}, K={k})");
        if (m == 0 || n == 0) return;
        bool ta = transA == Transpose.Yes, tb = transB == Transpose.Yes;
        CheckOperand("A", a.Length, ta ? k : m, ta ? m : k, lda);
        CheckOperand("B", b.Length, tb ? n : k, tb ? k : n, ldb);
        CheckOperand("C", c.Length, m, n, ldc);

        fixed (float* pa = a, pb = b, pc = c)
        {
            if (k == 0 || alpha == 0f)
            {
                ScaleC(pc, m, n, ldc, beta);
                return;
            }
            if (kernel is null && TryAsGemv(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)) return;
            var problem = new Problem(kernel ?? GemmKernel.For(m, n), ta, tb, m, n, k, alpha, pa, lda, pb, ldb, beta, pc, ldc);
            int parts = (long)m * n * k < ParallelThreshold ? 1 : Math.Max(1, threads ?? ParallelWork.AvailableThreads);
            if (parts == 1) problem.Run(0, m, 0, n);
            else problem.RunParallel(parts);
        }
    }

    /// <summary>
    /// C (m x n, leading dimension ldc) = A (m x k, row-major, leading dimension lda) * op(B) + beta * C,
    /// where B is a convolution's column matrix read from the image through <paramref name="b"/>'s
    /// offsets: K x N as it stands (the forward product), or N x K transposed (the weight gradient's).
    /// The kernel, blocking and threading are those of the same product with B written out, so the
    /// result is identical to im2col followed by <see cref="Compute(Transpose, Transpose, int, int, int, float, ReadOnlySpan{float}, int, ReadOnlySpan{float}, int, float, Span{float}, int, GemmKernel?, int?)"/>.
    /// </summary>
    internal static void ComputeOnImage(Transpose transB, int m, int n, int k, float* a, int lda, in ImplicitColumns b, float beta, float* c, int ldc)
    {
        if (m <= 0 || n <= 0) return;
        if (k == 0)
        {
            ScaleC(c, m, n, ldc, beta);
            return;
        }
        bool tb = transB == Transpose.Yes;
        var problem = new Problem(GemmKernel.For(m, n), false, tb, m, n, k, 1f, a, lda, null, 0, beta, c, ldc, b);
        int parts = (long)m * n * k < ParallelThreshold ? 1 : Math.Max(1, ParallelWork.AvailableThreads);
        if (parts == 1) problem.Run(0, m, 0, n);
        else problem.RunParallel(parts);
    }

    /// <summary>
    /// A product with one row or one column of C is a matrix-vector product: packing a whole
    /// operand for it (an inner product layer at batch 1) costs more than the product.
    /// </summary>
    private static bool TryAsGemv(bool ta, bool tb, int m, int n, int k, float alpha,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, float beta, Span<float> c, int ldc)
    {
        if (m == 1 && (!ta || lda == 1) && ldb == (tb ? k : n))
        {
            // c (1 x n) = a (1 x k) * op(B): rows of B when transposed, else B^T times a.
            if (tb) Blas.Gemv(Transpose.No, n, k, alpha, b, a[..k], beta, c[..n]);
            else Blas.Gemv(Transpose.Yes, k, n, alpha, b, a[..k], beta, c[..n]);
            return true;
        }
        if (n == 1 && ldc == 1 && (tb || ldb == 1) && lda == (ta ? m : k))
        {
            if (ta) Blas.Gemv(Transpose.Yes, k, m, alpha, a, b[..k], beta, c[..m]);
            else Blas.Gemv(Transpose.No, m, k, alpha, a, b[..k], beta, c[..m]);
            return true;
        }
        return false;
    }

    private static void CheckOperand(string name, int length, int rows, int columns, int ld)
    {
        if (rows == 0 || columns == 0) return;
        if (ld < Math.Max(1, columns))
            throw new ArgumentException($"gemm: leading dimension of {name} is {ld}, smaller than its {columns} columns");
        if (rows > 0 && columns > 0 && (long)(rows - 1) * ld + columns > length)
            throw new ArgumentException($"gemm: {name} needs {(long)(rows - 1) * ld + columns} elements ({rows} x {columns}, leading dimension {ld}) but has {length}");
    }

    private static void ScaleC(float* c, int m, int n, int ldc, float beta)
    {
        for (int i = 0; i < m; i++) Blas.ScaleInPlace(beta, new Span<float>(c + (long)i * ldc, n));
    }

    /// <summary>One product, with raw pointers so that worker threads can share it.</summary>
    private readonly struct Problem(GemmKernel kernel, bool transA, bool transB, int m, int n, int k, float alpha,
        float* a, int lda, float* b, int ldb, float beta, float* c, int ldc, ImplicitColumns implicitB = default)
    {
        private readonly float* _a = a, _b = b, _c = c;
        private readonly int _columnBlock = ColumnBlock(kernel, m, k, PrefetchesB(b, transB, k, n));
        private readonly bool _deep = RunsDeep(b, transB, m, k);
        private readonly bool _prefetchesAlongK = PrefetchesAlongK(kernel, b, transA, transB, m, n, k);
        private int Rows => m;
        private int Columns => n;

        /// <summary>
        /// Columns of B packed at once: the kernel's NC, doubled for a large A (packed once per block)
        /// or halved for a few rows that wait on a prefetched B. It depends on the product alone.
        /// </summary>
        private static int ColumnBlock(GemmKernel kernel, int m, int k, bool prefetchesB)
        {
            if ((long)m * k >= LargeA) return 2 * kernel.NC;
            if (m <= FewRows && prefetchesB) return kernel.NC / 2 / kernel.NR * kernel.NR;
            return kernel.NC;
        }

        /// <summary>Splits the larger dimension of C (in whole micro-tiles) among the threads.</summary>
        public void RunParallel(int parts)
        {
            var self = this;
            int tilesN = (n + kernel.NR - 1) / kernel.NR, tilesM = (m + kernel.MR - 1) / kernel.MR;
            bool byColumns = tilesN >= tilesM || tilesM < parts;
            int tiles = byColumns ? tilesN : tilesM, tile = byColumns ? kernel.NR : kernel.MR, size = byColumns ? n : m;
            parts = Math.Min(parts, tiles);
            ThreadTeam.Shared.Run(parts, part =>
            {
                int start = Math.Min(size, (int)((long)tiles * part / parts) * tile);
                int end = Math.Min(size, (int)((long)tiles * (part + 1) / parts) * tile);
                if (end <= start) return;
                if (byColumns) self.Run(0, self.Rows, start, end);
                else self.Run(start, end, 0, self.Columns);
            });
        }

        /// <summary>
        /// C[rows, columns] for the given ranges, blocked for the caches. A large B is read from
        /// memory once, a block at a time, with rows of the block far apart; packing it waited on
        /// memory for 40% of a 32 x 28160 x 288 product (6 GB/s on a Zen 4). So the next block's
        /// lines are prefetched while the kernels run on this one, and packing reads from cache.
        /// </summary>
        public void Run(int rowStart, int rowEnd, int colStart, int colEnd)
        {
            if (_deep)
            {
                RunDeep(rowStart, rowEnd, colStart, colEnd);
                return;
            }
            var workspace = GemmWorkspace.ForThisThread(kernel, _columnBlock);
            int mr = kernel.MR, nr = kernel.NR;
            // Equal k blocks no deeper than KC, so a K just above KC is not split into a big and a tiny block.
            int kBlocks = (k + kernel.KC - 1) / kernel.KC;
            int kcStep = (k + kBlocks - 1) / kBlocks;
            for (int jc = colStart; jc < colEnd; jc += _columnBlock)
            {
                int nc = Math.Min(_columnBlock, colEnd - jc);
                for (int pc = 0; pc < k; pc += kcStep)
                {
                    int kc = Math.Min(kcStep, k - pc);
                    float blockBeta = pc == 0 ? beta : 1f;
                    PackB(pc, jc, kc, nc, workspace.B);
                    var ahead = NextBlockOfB(jc, pc, kcStep, colEnd);
                    var aheadA = NextBlockOfA(pc, kcStep, rowStart, rowEnd);
                    for (int ic = rowStart; ic < rowEnd; ic += kernel.MC)
                    {
                        int mc = Math.Min(kernel.MC, rowEnd - ic);
                        GemmPacking.PackA(transA, _a, lda, ic, pc, mc, kc, mr, workspace.A);
                        int calls = (mc + mr - 1) / mr * ((nc + nr - 1) / nr);
                        ahead.Pace(calls);
                        aheadA.Pace(calls);
                        for (int ir = 0; ir < mc; ir += mr)
                        {
                            float* panelA = workspace.A + (long)ir * kc;
                            float* rowC = _c + (long)(ic + ir) * ldc + jc;
                            int rows = Math.Min(mr, mc - ir);
                            for (int jr = 0; jr < nc; jr += nr)
                            {
                                kernel.Run(kc, panelA, workspace.B + (long)jr * kc, rowC + jr, ldc, rows, Math.Min(nr, nc - jr), alpha, blockBeta);
                                ahead.Step();
                                aheadA.Step();
                            }
                        }
                    }
                }
            }
        }

        /// <summary>
        /// The deep schedule: k blocks of <see cref="DeepDepth"/> outermost, A packed once per block,
        /// and B^T packed <see cref="DeepColumns"/> rows at a time. Each row of B^T is then read 4 KB at
        /// a time instead of 1 KB, which the hardware prefetcher follows, and a packed block of
        /// B with all of A's rows stays in L2 (a 512 KB one too).
        /// </summary>
        private void RunDeep(int rowStart, int rowEnd, int colStart, int colEnd)
        {
            int mr = kernel.MR, nr = kernel.NR, mc = rowEnd - rowStart;
            int columnBlock = DeepColumnBlock(kernel);
            int kBlocks = (k + DeepDepth - 1) / DeepDepth;
            int kcStep = (k + kBlocks - 1) / kBlocks;
            var workspace = GemmWorkspace.ForThisThread((long)GemmWorkspace.RoundUp(mc, mr) * kcStep, (long)columnBlock * kcStep);
            for (int pc = 0; pc < k; pc += kcStep)
            {
                int kc = Math.Min(kcStep, k - pc);
                float blockBeta = pc == 0 ? beta : 1f;
                GemmPacking.PackA(transA, _a, lda, rowStart, pc, mc, kc, mr, workspace.A);
                for (int jc = colStart; jc < colEnd; jc += columnBlock)
                {
                    int nc = Math.Min(columnBlock, colEnd - jc);
                    PackB(pc, jc, kc, nc, workspace.B);
                    for (int ir = 0; ir < mc; ir += mr)
                    {
                        float* panelA = workspace.A + (long)ir * kc;
                        float* rowC = _c + (long)(rowStart + ir) * ldc + jc;
                        int rows = Math.Min(mr, mc - ir);
                        for (int jr = 0; jr < nc; jr += nr)
                            kernel.Run(kc, panelA, workspace.B + (long)jr * kc, rowC + jr, ldc, rows, Math.Min(nr, nc - jr), alpha, blockBeta);
                    }
                }
            }
        }

        /// <summary>Rows of B^T packed at once on the deep schedule, a whole number of panels.</summary>
        private static int DeepColumnBlock(GemmKernel kernel) => GemmWorkspace.RoundUp(DeepColumns, kernel.NR);

        /// <summary>
        /// Whether a product runs on the deep schedule: op(B) stored transposed as a matrix, a few
        /// rows, and k long enough for several deep blocks.
        /// </summary>
        private static bool RunsDeep(float* b, bool transB, int m, int k) => b != null && transB && m <= DeepRows && k >= 4 * DeepDepth;

        /// <summary>Whether the kernels run with the next block of B prefetched: a large B, stored as op(B) and not read from an image.</summary>
        private static bool PrefetchesB(float* b, bool transB, int k, int n) => b != null && !transB && (long)k * n >= PrefetchedB;

        /// <summary>
        /// Whether both operands are large matrices stored along k (A as it is, B transposed), for a
        /// kernel that gains from prefetching them: their next k blocks are then prefetched while
        /// the kernels run. Prefetching a transposed B alone measured 2-7% slower (32 x 288 x 28160);
        /// both, 128 x 128 x 16928 (the seed net's fc1 forward on 28x28) went from 0.96-0.98x to
        /// 1.00-1.03x OpenBLAS on a Zen 4 thread held to AVX2.
        /// </summary>
        private static bool PrefetchesAlongK(GemmKernel kernel, float* b, bool transA, bool transB, int m, int n, int k) =>
            kernel.PrefetchesAlongK && b != null && !transA && transB && (long)k * n >= PrefetchedB && (long)k * m >= PrefetchedB;

        /// <summary>The rows of B packed after block (jc, pc), when B is a large matrix prefetched as it is stored.</summary>
        private PrefetchCursor NextBlockOfB(int jc, int pc, int kcStep, int colEnd)
        {
            if (!PrefetchesB(_b, transB, k, n) && !_prefetchesAlongK) return default;
            int nextJc = jc, nextPc = pc + kcStep;
            if (nextPc >= k) { nextPc = 0; nextJc = jc + _columnBlock; }
            if (nextJc >= colEnd) return default;
            int nc = Math.Min(_columnBlock, colEnd - nextJc), kc = Math.Min(kcStep, k - nextPc);
            return transB
                ? new PrefetchCursor(_b + (long)nextJc * ldb + nextPc, nc, kc * sizeof(float), (long)ldb * sizeof(float))
                : new PrefetchCursor(_b + (long)nextPc * ldb + nextJc, kc, nc * sizeof(float), (long)ldb * sizeof(float));
        }

        /// <summary>
        /// The rows of A packed after block pc, when A is prefetched along k and one block of rows
        /// covers this part of C (A is packed anew for the next block of columns).
        /// </summary>
        private PrefetchCursor NextBlockOfA(int pc, int kcStep, int rowStart, int rowEnd)
        {
            if (!_prefetchesAlongK || rowEnd - rowStart > kernel.MC || pc + kcStep >= k) return default;
            int kc = Math.Min(kcStep, k - pc - kcStep);
            return new PrefetchCursor(_a + (long)rowStart * lda + pc + kcStep, rowEnd - rowStart, kc * sizeof(float), (long)lda * sizeof(float));
        }

        private void PackB(int k0, int col0, int kc, int nc, float* dst)
        {
            int nr = kernel.NR;
            if (implicitB.Image != null && transB) GemmPacking.PackImplicitBTransposed(implicitB, k0, col0, kc, nc, nr, dst);
            else if (implicitB.Image != null) GemmPacking.PackImplicitB(implicitB, k0, col0, kc, nc, nr, dst);
            else GemmPacking.PackB(transB, _b, ldb, k0, col0, kc, nc, nr, dst);
        }
    }
}
