
namespace Cortado.Compute;

/// <summary>
/// Every operation of the seam, computed by Cortado's managed SIMD kernels on memory the process
/// can address. A subclass says only how its buffers become spans: the CPU backend's buffers are
/// the blobs' host arrays; the test device's are arrays of its own. A buffer from anywhere else
/// (another backend, or host memory a layer wrapped itself) is refused, which is how the test
/// device catches a layer that reaches past the seam.
/// </summary>
public abstract class HostMemoryCompute : ICompute
{
    public abstract string Name { get; }
    public abstract bool HasOwnMemory { get; }
    public abstract DeviceBuffer<T> Allocate<T>(int length) where T : unmanaged;
    public abstract void CopyToDevice<T>(ReadOnlySpan<T> host, DeviceSpan<T> device) where T : unmanaged;
    public abstract void CopyToHost<T>(DeviceSpan<T> device, Span<T> host) where T : unmanaged;

    /// <summary>The memory behind a span of this backend's buffer; throws for a buffer it did not make.</summary>
    protected abstract Span<T> Resolve<T>(DeviceSpan<T> span) where T : unmanaged;

    internal Span<T> Host<T>(DeviceSpan<T> span) where T : unmanaged
    {
        if (span.Buffer is null) return Span<T>.Empty;
        if (!ReferenceEquals(span.Buffer.Owner, this))
            throw new InvalidOperationException($"the {Name} backend was handed memory of {span.Buffer.Owner.Name}; a layer reached past the seam");
        return Resolve(span);
    }

    public void Copy<T>(DeviceSpan<T> source, DeviceSpan<T> target) where T : unmanaged => Host(source).CopyTo(Host(target));
    public void Fill<T>(DeviceSpan<T> target, T value) where T : unmanaged => Host(target).Fill(value);

    public void CopyRows(DeviceSpan<float> source, int sourceStride, DeviceSpan<float> target, int targetStride, int rows, int rowLength)
    {
        var from = Host(source);
        var to = Host(target);
        for (int r = 0; r < rows; r++) from.Slice(r * sourceStride, rowLength).CopyTo(to.Slice(r * targetStride, rowLength));
    }

    public void Synchronize() { }

    public float Scalar(DeviceSpan<float> x) => x.Length == 1 ? Host(x)[0] : throw new ArgumentException($"a scalar was asked of {x.Length} values");

    public void Crop(DeviceSpan<float> big, ReadOnlySpan<int> bigShape, DeviceSpan<float> small, ReadOnlySpan<int> smallShape, ReadOnlySpan<int> offsets, bool toSmall)
    {
        var large = Host(big);
        var part = Host(small);
        int rowLength = smallShape[^1];
        var starts = CropRows.Starts(bigShape, smallShape, offsets);
        for (int r = 0; r < starts.Length; r++)
        {
            if (toSmall) large.Slice(starts[r], rowLength).CopyTo(part.Slice(r * rowLength, rowLength));
            else part.Slice(r * rowLength, rowLength).CopyTo(large.Slice(starts[r], rowLength));
        }
    }

    public void Gemm(Transpose transA, Transpose transB, int m, int n, int k, float alpha, DeviceSpan<float> a, DeviceSpan<float> b, float beta, DeviceSpan<float> c) =>
        Compute.Gemm.Compute(transA, transB, m, n, k, alpha, Host(a), Host(b), beta, Host(c));
    public void Gemv(Transpose transA, int m, int n, float alpha, DeviceSpan<float> a, DeviceSpan<float> x, float beta, DeviceSpan<float> y) =>
        Blas.Gemv(transA, m, n, alpha, Host(a), Host(x), beta, Host(y));
    public void Axpy(float alpha, DeviceSpan<float> x, DeviceSpan<float> y) => Blas.Axpy(alpha, Host(x), Host(y));
    public void Axpby(float alpha, DeviceSpan<float> x, float beta, DeviceSpan<float> y) => Blas.Axpby(alpha, Host(x), beta, Host(y));
    public void Scal(float alpha, DeviceSpan<float> x) => Blas.Scal(alpha, Host(x));
    public float Dot(DeviceSpan<float> x, DeviceSpan<float> y) => Blas.Dot(Host(x), Host(y));
    public float Asum(DeviceSpan<float> x) => Blas.Asum(Host(x));
    public float SumSquares(DeviceSpan<float> x) { var v = Host(x); return Blas.Dot(v, v); }

    public void Map<TOp>(TOp op, DeviceSpan<float> x, DeviceSpan<float> y) where TOp : struct, IUnaryOperator =>
        OperatorDriver.Map(op, Host(x), Host(y));
    public void Map<TOp>(TOp op, DeviceSpan<float> a, DeviceSpan<float> b, DeviceSpan<float> y) where TOp : struct, IBinaryOperator =>
        OperatorDriver.Map(op, Host(a), Host(b), Host(y));
    public void Map<TOp>(TOp op, DeviceSpan<float> a, DeviceSpan<float> b, DeviceSpan<float> c, DeviceSpan<float> y) where TOp : struct, ITernaryOperator =>
        OperatorDriver.Map(op, Host(a), Host(b), Host(c), Host(y));
    public double MapSum<TOp>(TOp op, DeviceSpan<float> a, DeviceSpan<float> b) where TOp : struct, IBinaryOperator =>
        OperatorDriver.Sum(op, Host(a), Host(b));

    public void MapChannels<TOp>(TOp op, DeviceSpan<float> x, DeviceSpan<float> values, ChannelLayout layout, DeviceSpan<float> y) where TOp : struct, IBinaryOperator
    {
        var input = Host(x);
        var output = Host(y);
        var channel = Host(values);
        var (outer, dim, inner) = layout;
        for (int o = 0; o < outer; o++)
            for (int d = 0; d < dim; d++)
            {
                int start = (o * dim + d) * inner;
                OperatorDriver.MapRun(op, input.Slice(start, inner), channel[d], output.Slice(start, inner));
            }
    }

    public void ChannelSums(DeviceSpan<float> x, DeviceSpan<float> factor, ChannelLayout layout, DeviceSpan<float> target, bool accumulate)
    {
        var values = Host(x);
        var weights = Host(factor);
        var sums = Host(target);
        if (!accumulate) sums.Clear();
        var (outer, dim, inner) = layout;
        for (int o = 0; o < outer; o++)
            for (int d = 0; d < dim; d++)
            {
                int start = (o * dim + d) * inner;
                float sum = 0f;
                if (weights.IsEmpty) for (int i = 0; i < inner; i++) sum += values[start + i];
                else for (int i = 0; i < inner; i++) sum += values[start + i] * weights[start + i];
                sums[d] += sum;
            }
    }

    public void ReluForward(DeviceSpan<float> x, float slope, DeviceSpan<float> y) => Rectifier.Forward(Host(x), slope, Host(y));
    public void ReluBackward(DeviceSpan<float> x, DeviceSpan<float> dy, float slope, DeviceSpan<float> dx) => Rectifier.Backward(Host(x), Host(dy), slope, Host(dx));

    public IConvolution CreateConvolution() => new CpuConvolution(this);

    public void Im2ColNd(DeviceSpan<float> image, int channels, ConvolutionGeometryNd geometry, DeviceSpan<float> columns) =>
        Compute.Im2ColNd.Forward(Host(image), channels, geometry, Host(columns));
    public void Col2ImNd(DeviceSpan<float> columns, int channels, ConvolutionGeometryNd geometry, DeviceSpan<float> image) =>
        Compute.Im2ColNd.Backward(Host(columns), channels, geometry, Host(image));

    public void MaxPoolForward(DeviceSpan<float> bottom, int planes, in PoolingGeometry geometry, DeviceSpan<float> top, DeviceSpan<int> argmax) =>
        Pooling.MaxForward(Host(bottom), planes, geometry, Host(top), Host(argmax));
    public void IndicesToFloat(DeviceSpan<int> indices, DeviceSpan<float> values)
    {
        var from = Host(indices);
        var to = Host(values);
        for (int i = 0; i < from.Length; i++) to[i] = from[i];
    }
    public void MaxPoolBackward(DeviceSpan<float> topDiff, DeviceSpan<int> argmax, int planes, in PoolingGeometry geometry, DeviceSpan<float> bottomDiff,
        DeviceSpan<float> rectifiedBy = default) =>
        Pooling.MaxBackward(Host(topDiff), Host(argmax), planes, geometry, Host(bottomDiff), Host(rectifiedBy));
    public void AveragePoolForward(DeviceSpan<float> bottom, int planes, in PoolingGeometry geometry, DeviceSpan<float> top) =>
        Pooling.AverageForward(Host(bottom), planes, geometry, Host(top));
    public void AveragePoolBackward(DeviceSpan<float> topDiff, int planes, in PoolingGeometry geometry, DeviceSpan<float> bottomDiff,
        DeviceSpan<float> rectifiedBy = default) =>
        Pooling.AverageBackward(Host(topDiff), planes, geometry, Host(bottomDiff), Host(rectifiedBy));

    public void StochasticPoolForward(DeviceSpan<float> bottom, int planes, in PoolingGeometry geometry, DeviceSpan<float> uniform, DeviceSpan<float> top, DeviceSpan<int> picked) =>
        StochasticPooling.Sample(Host(bottom), planes, geometry, Host(uniform), Host(top), Host(picked));
    public void StochasticPoolTest(DeviceSpan<float> bottom, int planes, in PoolingGeometry geometry, DeviceSpan<float> top) =>
        StochasticPooling.Weighted(Host(bottom), planes, geometry, Host(top));

    public void LrnForward(in LrnShape shape, DeviceSpan<float> x, DeviceSpan<float> scale, DeviceSpan<float> squares, DeviceSpan<float> y) =>
        Lrn.Forward(shape, Host(x), Host(scale), Host(squares), Host(y));
    public void LrnBackward(in LrnShape shape, DeviceSpan<float> x, DeviceSpan<float> y, DeviceSpan<float> dy, DeviceSpan<float> scale, DeviceSpan<float> work, DeviceSpan<float> squares, DeviceSpan<float> dx) =>
        Lrn.Backward(shape, Host(x), Host(y), Host(dy), Host(scale), Host(work), Host(squares), Host(dx));

    public void Softmax(DeviceSpan<float> x, DeviceSpan<float> y, ChannelLayout layout) => Compute.Softmax.Forward(Host(x), Host(y), layout);
    public void SoftmaxBackward(DeviceSpan<float> y, DeviceSpan<float> dy, DeviceSpan<float> dx, ChannelLayout layout) =>
        Compute.Softmax.Backward(Host(y), Host(dy), Host(dx), layout);
    public LabelledLoss SoftmaxLoss(DeviceSpan<float> prob, DeviceSpan<float> labels, ChannelLayout layout, int? ignoreLabel) =>
        Compute.Softmax.Loss(Host(prob), Host(labels), layout, ignoreLabel);
    public void SoftmaxLossGradient(DeviceSpan<float> prob, DeviceSpan<float> labels, ChannelLayout layout, int? ignoreLabel, float scale, DeviceSpan<float> dx) =>
        Compute.Softmax.LossGradient(Host(prob), Host(labels), layout, ignoreLabel, scale, Host(dx));

    public float Gather(DeviceSpan<float> table, int rows, DeviceSpan<float> indices, int rowLength, DeviceSpan<float> target)
    {
        var from = Host(table);
        var index = Host(indices);
        var to = Host(target);
        for (int i = 0; i < index.Length; i++)
        {
            int row = (int)index[i];
            if (row != index[i] || row < 0 || row >= rows) return index[i];
            from.Slice(row * rowLength, rowLength).CopyTo(to.Slice(i * rowLength, rowLength));
        }
        return float.NaN;
    }

    public void ScatterAdd(DeviceSpan<float> source, DeviceSpan<float> indices, int rowLength, DeviceSpan<float> table)
    {
        var from = Host(source);
        var index = Host(indices);
        var to = Host(table);
        for (int i = 0; i < index.Length; i++)
        {
            // One short row per index: added inline, not through the thread team's closure per row.
            var row = to.Slice((int)index[i] * rowLength, rowLength);
            System.Numerics.Tensors.TensorPrimitives.Add(row, from.Slice(i * rowLength, rowLength), row);
        }
    }

    public float HingeMargins(DeviceSpan<float> x, DeviceSpan<float> labels, int num, int dim, DeviceSpan<float> margins)
    {
        var values = Host(x);
        var label = Host(labels);
        var result = Host(margins);
        for (int n = 0; n < num; n++)
        {
            int truth = (int)label[n];
            if (truth != label[n] || truth < 0 || truth >= dim) return label[n];
            for (int c = 0; c < dim; c++) result[n * dim + c] = MathF.Max(0f, 1f - (c == truth ? 1f : -1f) * values[n * dim + c]);
        }
        return float.NaN;
    }

    public void HingeGradient(DeviceSpan<float> margins, DeviceSpan<float> labels, int num, int dim, float scale, bool squared, DeviceSpan<float> dx)
    {
        var margin = Host(margins);
        var label = Host(labels);
        var result = Host(dx);
        for (int n = 0; n < num; n++)
        {
            int truth = (int)label[n];
            for (int c = 0; c < dim; c++)
            {
                float t = c == truth ? 1f : -1f, m = margin[n * dim + c];
                result[n * dim + c] = m > 0f ? -t * scale * (squared ? 2f * m : 1f) : 0f;
            }
        }
    }

    public void MaxWithWinner(DeviceSpan<float> x, int index, DeviceSpan<float> y, DeviceSpan<int> winner)
    {
        var values = Host(x);
        var best = Host(y);
        var won = Host(winner);
        for (int j = 0; j < best.Length; j++)
            if (values[j] > best[j]) { best[j] = values[j]; won[j] = index; }
    }

    public void RouteToWinner(DeviceSpan<float> dy, DeviceSpan<int> winner, int index, DeviceSpan<float> dx)
    {
        var gradient = Host(dy);
        var won = Host(winner);
        var result = Host(dx);
        for (int j = 0; j < result.Length; j++) result[j] = won[j] == index ? gradient[j] : 0f;
    }

    public void LstmCellForward(int num, int hidden, DeviceSpan<float> cPrev, DeviceSpan<float> gates, DeviceSpan<float> cont, DeviceSpan<float> c, DeviceSpan<float> h) =>
        LstmCell.Forward(num, hidden, Host(cPrev), Host(gates), Host(cont), Host(c), Host(h));
    public void LstmCellBackward(int num, int hidden, DeviceSpan<float> cPrev, DeviceSpan<float> gates, DeviceSpan<float> cont, DeviceSpan<float> c,
        DeviceSpan<float> dc, DeviceSpan<float> dh, DeviceSpan<float> dcPrev, DeviceSpan<float> dgates) =>
        LstmCell.Backward(num, hidden, Host(cPrev), Host(gates), Host(cont), Host(c), Host(dc), Host(dh), Host(dcPrev), Host(dgates));

    public void Bernoulli(DeviceSpan<float> y, double p, float one, ulong key, long offset = 0) => BernoulliHash.Fill(Host(y), p, one, key, offset);
    public void MultiplyBernoulli(DeviceSpan<float> x, double p, float one, ulong key, long offset, DeviceSpan<float> y) =>
        BernoulliHash.Multiply(Host(x), p, one, key, offset, Host(y));
    public void Uniform(DeviceSpan<float> y, float min, float max, ulong key) => CounterRandom.Uniform(Host(y), min, max, key);
    public void Gaussian(DeviceSpan<float> y, float mean, float std, ulong key) => CounterRandom.Gaussian(Host(y), mean, std, key);

    public void SolverUpdate<TRule>(TRule rule, DeviceSpan<float> diff, DeviceSpan<float> history, DeviceSpan<float> history2) where TRule : struct, IUpdateRule =>
        OperatorDriver.Update(rule, Host(diff), Host(history), Host(history2));
}
