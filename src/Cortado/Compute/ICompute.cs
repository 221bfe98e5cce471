namespace Cortado.Compute;

/// <summary>
/// The seam between layers and the hardware: whole operations on a backend's memory
/// (<see cref="DeviceSpan{T}"/>), never on host spans. Every layer and solver is written in this
/// vocabulary, so a backend that implements it (and passes the suite on the test device,
/// <see cref="EmulatedDevice"/>) runs every net. Blobs get memory from the backend that asks for
/// their values (<see cref="Tensors.SyncedMemory{T}"/>); copies to and from the host happen there,
/// lazily, and nowhere else. Scalars that come back (dot, asum, a loss) are the only values a
/// layer or solver sees on the host. "Page: Adding a backend" in the README says what each part asks.
/// </summary>
public interface ICompute
{
    string Name { get; }

    // ---- memory ----
    /// <summary>False for a backend that computes on host memory itself (the CPU): blobs then hand it their host arrays and never copy.</summary>
    bool HasOwnMemory { get; }
    DeviceBuffer<T> Allocate<T>(int length) where T : unmanaged;
    void CopyToDevice<T>(ReadOnlySpan<T> host, DeviceSpan<T> device) where T : unmanaged;
    void CopyToHost<T>(DeviceSpan<T> device, Span<T> host) where T : unmanaged;
    void Copy<T>(DeviceSpan<T> source, DeviceSpan<T> target) where T : unmanaged;
    void Fill<T>(DeviceSpan<T> target, T value) where T : unmanaged;
    /// <summary>Copies <paramref name="rows"/> runs of <paramref name="rowLength"/> values, the k-th from source offset k * sourceStride to target offset k * targetStride (Concat, Slice, Crop).</summary>
    void CopyRows(DeviceSpan<float> source, int sourceStride, DeviceSpan<float> target, int targetStride, int rows, int rowLength);

    /// <summary>Waits until the work queued so far is done: a timer calls it before reading the clock. Backends that compute as they are called return at once.</summary>
    void Synchronize();

    /// <summary>The value of a one-element span (a loss, its weight): a scalar result, like a dot product's.</summary>
    float Scalar(DeviceSpan<float> x);

    /// <summary>Copies the window of <paramref name="big"/> at <paramref name="offsets"/> the size of <paramref name="small"/> into it, or back (Crop).</summary>
    void Crop(DeviceSpan<float> big, ReadOnlySpan<int> bigShape, DeviceSpan<float> small, ReadOnlySpan<int> smallShape, ReadOnlySpan<int> offsets, bool toSmall);

    // ---- BLAS ----
    void Gemm(Transpose transA, Transpose transB, int m, int n, int k, float alpha, DeviceSpan<float> a, DeviceSpan<float> b, float beta, DeviceSpan<float> c);
    void Gemv(Transpose transA, int m, int n, float alpha, DeviceSpan<float> a, DeviceSpan<float> x, float beta, DeviceSpan<float> y);
    void Axpy(float alpha, DeviceSpan<float> x, DeviceSpan<float> y);
    void Axpby(float alpha, DeviceSpan<float> x, float beta, DeviceSpan<float> y);
    void Scal(float alpha, DeviceSpan<float> x);
    float Dot(DeviceSpan<float> x, DeviceSpan<float> y);
    float Asum(DeviceSpan<float> x);
    float SumSquares(DeviceSpan<float> x);

    // ---- elementwise maps: operator structs, one driver (output may be an input) ----
    void Map<TOp>(TOp op, DeviceSpan<float> x, DeviceSpan<float> y) where TOp : struct, IUnaryOperator;
    void Map<TOp>(TOp op, DeviceSpan<float> a, DeviceSpan<float> b, DeviceSpan<float> y) where TOp : struct, IBinaryOperator;
    void Map<TOp>(TOp op, DeviceSpan<float> a, DeviceSpan<float> b, DeviceSpan<float> c, DeviceSpan<float> y) where TOp : struct, ITernaryOperator;
    /// <summary>Sum over i of op(a[i], b[i]), accumulated in double: the losses that are a sum of terms.</summary>
    double MapSum<TOp>(TOp op, DeviceSpan<float> a, DeviceSpan<float> b) where TOp : struct, IBinaryOperator;
    /// <summary>y[i] = op(x[i], values[d]) where x is seen as (outer, dim, inner) and d is i's middle index (Scale, Bias, PReLU, BatchNorm).</summary>
    void MapChannels<TOp>(TOp op, DeviceSpan<float> x, DeviceSpan<float> values, ChannelLayout layout, DeviceSpan<float> y) where TOp : struct, IBinaryOperator;
    /// <summary>target[d] (+)= sum over outer and inner of x (times factor when given): per-channel gradients and statistics.</summary>
    void ChannelSums(DeviceSpan<float> x, DeviceSpan<float> factor, ChannelLayout layout, DeviceSpan<float> target, bool accumulate);

    /// <summary>y = x &gt; 0 ? x : slope * x.</summary>
    void ReluForward(DeviceSpan<float> x, float slope, DeviceSpan<float> y);
    /// <summary>dx = x &gt; 0 ? dy : slope * dy.</summary>
    void ReluBackward(DeviceSpan<float> x, DeviceSpan<float> dy, float slope, DeviceSpan<float> dx);

    // ---- convolution, pooling, normalisation ----
    /// <summary>The backend's convolution for one layer, holding whatever scratch space it wants.</summary>
    IConvolution CreateConvolution();
    /// <summary>im2col over any number of spatial axes: a channels x prod(kernel) by prod(output) column matrix of one image (the N-D convolutions and the Im2col layer).</summary>
    void Im2ColNd(DeviceSpan<float> image, int channels, ConvolutionGeometryNd geometry, DeviceSpan<float> columns);
    /// <summary>The adjoint of <see cref="Im2ColNd"/>: the image (overwritten) is the columns summed back.</summary>
    void Col2ImNd(DeviceSpan<float> columns, int channels, ConvolutionGeometryNd geometry, DeviceSpan<float> image);
    void MaxPoolForward(DeviceSpan<float> bottom, int planes, in PoolingGeometry geometry, DeviceSpan<float> top, DeviceSpan<int> argmax);
    /// <summary>The winners' indices as floats: MAX pooling's optional mask top.</summary>
    void IndicesToFloat(DeviceSpan<int> indices, DeviceSpan<float> values);
    /// <summary>
    /// Overwrites bottomDiff. With <paramref name="rectifiedBy"/> (the pooling's input, which an in-place
    /// ReLU before it left), bottomDiff is also that ReLU's backward: zero where the input is not positive.
    /// </summary>
    void MaxPoolBackward(DeviceSpan<float> topDiff, DeviceSpan<int> argmax, int planes, in PoolingGeometry geometry, DeviceSpan<float> bottomDiff,
        DeviceSpan<float> rectifiedBy = default);
    void AveragePoolForward(DeviceSpan<float> bottom, int planes, in PoolingGeometry geometry, DeviceSpan<float> top);
    /// <summary>Overwrites bottomDiff; <paramref name="rectifiedBy"/> as in <see cref="MaxPoolBackward"/>.</summary>
    void AveragePoolBackward(DeviceSpan<float> topDiff, int planes, in PoolingGeometry geometry, DeviceSpan<float> bottomDiff,
        DeviceSpan<float> rectifiedBy = default);
    /// <summary>Stochastic pooling in training: per window the input picked by the uniform draw of that output (in [0, 1)), weighted by value; picked holds its in-plane index, as argmax does.</summary>
    void StochasticPoolForward(DeviceSpan<float> bottom, int planes, in PoolingGeometry geometry, DeviceSpan<float> uniform, DeviceSpan<float> top, DeviceSpan<int> picked);
    /// <summary>Stochastic pooling at test time: sum(x^2) / sum(x) per window.</summary>
    void StochasticPoolTest(DeviceSpan<float> bottom, int planes, in PoolingGeometry geometry, DeviceSpan<float> top);
    void LrnForward(in LrnShape shape, DeviceSpan<float> x, DeviceSpan<float> scale, DeviceSpan<float> squares, DeviceSpan<float> y);
    void LrnBackward(in LrnShape shape, DeviceSpan<float> x, DeviceSpan<float> y, DeviceSpan<float> dy, DeviceSpan<float> scale, DeviceSpan<float> work, DeviceSpan<float> squares, DeviceSpan<float> dx);

    // ---- softmax and the losses on it ----
    void Softmax(DeviceSpan<float> x, DeviceSpan<float> y, ChannelLayout layout);
    void SoftmaxBackward(DeviceSpan<float> y, DeviceSpan<float> dy, DeviceSpan<float> dx, ChannelLayout layout);
    /// <summary>-sum log(max(prob[label], FLT_MIN)) over the labels that are not <paramref name="ignoreLabel"/>, with their count; a label out of range is reported, not summed.</summary>
    LabelledLoss SoftmaxLoss(DeviceSpan<float> prob, DeviceSpan<float> labels, ChannelLayout layout, int? ignoreLabel);
    /// <summary>dx = scale (prob - onehot(label)), zero where the label is ignored.</summary>
    void SoftmaxLossGradient(DeviceSpan<float> prob, DeviceSpan<float> labels, ChannelLayout layout, int? ignoreLabel, float scale, DeviceSpan<float> dx);

    // ---- lookups and labelled losses ----
    /// <summary>target row i = table row indices[i] (Embed); returns the first index that is not a row of the table, or NaN.</summary>
    float Gather(DeviceSpan<float> table, int rows, DeviceSpan<float> indices, int rowLength, DeviceSpan<float> target);
    /// <summary>table row indices[i] += source row i: Gather's gradient.</summary>
    void ScatterAdd(DeviceSpan<float> source, DeviceSpan<float> indices, int rowLength, DeviceSpan<float> table);
    /// <summary>margins = max(0, 1 - t x) with t = 1 for the label's class, else -1, per (num x dim) row; returns the first bad label or NaN.</summary>
    float HingeMargins(DeviceSpan<float> x, DeviceSpan<float> labels, int num, int dim, DeviceSpan<float> margins);
    /// <summary>dx = -t scale (2 margin for L2, 1 for L1) where the margin is positive, else 0.</summary>
    void HingeGradient(DeviceSpan<float> margins, DeviceSpan<float> labels, int num, int dim, float scale, bool squared, DeviceSpan<float> dx);
    /// <summary>y = max(y, x), winner = index where x won (Eltwise MAX, one bottom at a time).</summary>
    void MaxWithWinner(DeviceSpan<float> x, int index, DeviceSpan<float> y, DeviceSpan<int> winner);
    /// <summary>dx = dy where winner == index, else 0.</summary>
    void RouteToWinner(DeviceSpan<float> dy, DeviceSpan<int> winner, int index, DeviceSpan<float> dx);

    // ---- recurrent cells ----
    /// <summary>One LSTM step for num streams of hidden cells (Caffe's LSTMUnit): gates is num x 4 hidden pre-activations [i', f', o', g']; c = cont f c_prev + i g, h = o tanh(c).</summary>
    void LstmCellForward(int num, int hidden, DeviceSpan<float> cPrev, DeviceSpan<float> gates, DeviceSpan<float> cont, DeviceSpan<float> c, DeviceSpan<float> h);
    /// <summary>The gates' and c_prev's gradients from those of c and h (empty spans are zero); dcPrev may be dc itself.</summary>
    void LstmCellBackward(int num, int hidden, DeviceSpan<float> cPrev, DeviceSpan<float> gates, DeviceSpan<float> cont, DeviceSpan<float> c,
        DeviceSpan<float> dc, DeviceSpan<float> dh, DeviceSpan<float> dcPrev, DeviceSpan<float> dgates);

    // ---- random streams keyed by counter: element i depends on (key, i) only ----
    /// <summary>Element i depends on (key, offset + i) only: a shard of a batch draws its part of the whole batch's mask.</summary>
    void Bernoulli(DeviceSpan<float> y, double p, float one, ulong key, long offset = 0);
    /// <summary>y = x times the values <see cref="Bernoulli"/> would draw for the same key and offset, in one pass (dropout's mask, never stored).</summary>
    void MultiplyBernoulli(DeviceSpan<float> x, double p, float one, ulong key, long offset, DeviceSpan<float> y);
    void Uniform(DeviceSpan<float> y, float min, float max, ulong key);
    void Gaussian(DeviceSpan<float> y, float mean, float std, ulong key);

    // ---- fused solver updates: turn a parameter's diff into the step to subtract ----
    void SolverUpdate<TRule>(TRule rule, DeviceSpan<float> diff, DeviceSpan<float> history, DeviceSpan<float> history2) where TRule : struct, IUpdateRule;
}

/// <summary>A blob seen as (outer, dim, inner): dim is the axis an operation runs along or broadcasts over.</summary>
public readonly record struct ChannelLayout(int Outer, int Dim, int Inner)
{
    public int Count => Outer * Dim * Inner;
}

/// <summary>A summed loss over labelled positions, the number of positions counted, and the first label that was not a class (NaN when none).</summary>
public readonly record struct LabelledLoss(double Sum, int Counted, float InvalidLabel);

/// <summary>The shape and constants of a local response normalisation.</summary>
public readonly record struct LrnShape(int Num, int Channels, int Height, int Width, int Size, float Alpha, float Beta, float K, bool AcrossChannels);

/// <summary>
/// One convolution or deconvolution layer's products on a backend. "Input side" is the blob
/// im2col reads (the bottom for Convolution, the top for Deconvolution); empty spans mean a
/// result is not wanted or a bias is absent.
/// </summary>
public interface IConvolution
{
    /// <summary>
    /// With <paramref name="rectify"/>, the output is max(0, x) as an in-place ReLU after the layer
    /// would leave it: the net fuses such a ReLU into the convolution before it.
    /// </summary>
    void Forward(in ConvolutionShape shape, DeviceSpan<float> input, DeviceSpan<float> weights, DeviceSpan<float> bias, DeviceSpan<float> output, bool rectify = false);
    /// <summary>
    /// <see cref="Forward"/>, then max pooling of the output into <paramref name="pooled"/> and
    /// <paramref name="argmax"/> as <see cref="ICompute.MaxPoolForward"/> would, each image or block
    /// of rows pooled by the thread that wrote it while it is in cache: the net fuses a MAX pooling
    /// that reads only the convolution's output into it. Returns false, having done nothing, where
    /// this backend or this shape does not pool inside the convolution; the caller then runs the two apart.
    /// </summary>
    bool ForwardPooled(in ConvolutionShape shape, DeviceSpan<float> input, DeviceSpan<float> weights, DeviceSpan<float> bias, DeviceSpan<float> output, bool rectify,
        in PoolingGeometry pooling, DeviceSpan<float> pooled, DeviceSpan<int> argmax) => false;
    /// <summary>
    /// Overwrites inputDiff; adds into weightDiff and biasDiff. With <paramref name="rectifyInputGradient"/>,
    /// inputDiff is also the backward of an in-place ReLU before the layer (whose output is
    /// <paramref name="input"/>): zero where the input is not positive. The net fuses such a ReLU into
    /// the convolution after it.
    /// </summary>
    void Backward(in ConvolutionShape shape, DeviceSpan<float> input, DeviceSpan<float> outputDiff, DeviceSpan<float> weights,
        DeviceSpan<float> inputDiff, DeviceSpan<float> weightDiff, DeviceSpan<float> biasDiff, bool rectifyInputGradient = false);
}

/// <summary>
/// A convolution's sizes: images in the batch, channels on the bottom side and top side, groups,
/// and the geometry of the im2col side (the bottom, or the top when <see cref="Reversed"/>, as in Deconvolution).
/// </summary>
public readonly record struct ConvolutionShape(int Num, int BottomChannels, int TopChannels, int Group, ConvolutionGeometry ColumnGeometry, bool Reversed)
{
    public int BottomSpatial => Reversed ? ColumnGeometry.OutputHeight * ColumnGeometry.OutputWidth : ColumnGeometry.Height * ColumnGeometry.Width;
    public int TopSpatial => Reversed ? ColumnGeometry.Height * ColumnGeometry.Width : ColumnGeometry.OutputHeight * ColumnGeometry.OutputWidth;
}
