using Cortado.Compute;
using Cortado.Errors;
using Cortado.Proto;
using Cortado.Tensors;

namespace Cortado.Layers;

/// <summary>
/// A layer of a net, as in Caffe. The base class owns the order of calls: <see cref="SetUp"/>
/// checks the bottom and top counts the layer declares, then runs <see cref="LayerSetUp"/>,
/// <see cref="Reshape"/> and sets the loss weights. Gradient convention: Backward overwrites
/// the bottom diffs and adds into the parameter diffs (the solver clears those each iteration).
/// A top's loss weight is kept in its diff, so the loss is the dot product of top data and diff.
/// </summary>
public abstract class Layer
{
    protected Layer(LayerParameter param, LayerContext context)
    {
        Param = param;
        Context = context;
    }

    public LayerParameter Param { get; }
    public string Name => Param.Name;
    public abstract string Type { get; }
    public Phase Phase => Context.Phase;
    protected LayerContext Context { get; }
    protected ICompute Backend => Context.Compute;

    /// <summary>
    /// True for layers that are host by nature (data sources, Accuracy, ArgMax): they read and write
    /// their blobs' host views, and the blobs' memory moves to and from the device around them,
    /// as Caffe's Forward_gpu falls back to Forward_cpu. Every other layer computes through
    /// <see cref="Backend"/> on device views only.
    /// </summary>
    public virtual bool RunsOnHost => false;

    // A blob's memory on this layer's backend: for reading, or for writing (read-modify-write allowed).
    protected DeviceSpan<float> ReadData(Blob blob) => blob.ReadData(Backend);
    protected DeviceSpan<float> WriteData(Blob blob) => blob.WriteData(Backend);
    protected DeviceSpan<float> ReadDiff(Blob blob) => blob.ReadDiff(Backend);
    protected DeviceSpan<float> WriteDiff(Blob blob) => blob.WriteDiff(Backend);

    /// <summary>Learnable parameter blobs (weights, biases, statistics), in Caffe's order.</summary>
    public List<Blob> Blobs { get; } = [];

    /// <summary>Whether Backward should compute the diff of each parameter blob.</summary>
    public List<bool> ParamPropagateDown { get; } = [];

    private float[] _lossWeights = [];

    public virtual int ExactNumBottomBlobs => -1;
    public virtual int MinBottomBlobs => -1;
    public virtual int MaxBottomBlobs => -1;
    public virtual int ExactNumTopBlobs => -1;
    public virtual int MinTopBlobs => -1;
    public virtual int MaxTopBlobs => -1;
    public virtual bool EqualNumBottomTopBlobs => false;

    /// <summary>
    /// Whether a top may be the bottom itself. As in Caffe, only layers that map each value to one
    /// of the same shape (neuron layers, BatchNorm, Scale, Bias) say yes; a Pooling or Convolution
    /// in place would overwrite its input while reading it.
    /// </summary>
    public virtual bool AllowsInPlace => false;

    /// <summary>Loss layers refuse forced backward to their label input.</summary>
    public virtual bool AllowForceBackward(int bottomIndex) => true;

    /// <summary>The loss weight a top gets when the prototxt gives none (1 for a loss layer's first top).</summary>
    protected virtual float DefaultLossWeight(int topIndex) => 0f;

    public void SetUp(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top)
    {
        CheckBlobCounts(bottom.Count, top.Count);
        if (!AllowsInPlace && top.Any(t => bottom.Any(b => ReferenceEquals(b, t))))
            throw Error("cannot work in place (a top is also a bottom); give the top its own name");
        LayerSetUp(bottom, top);
        Reshape(bottom, top);
        SetLossWeights(top);
    }

    /// <summary>One-time set-up: read parameters, create and fill parameter blobs.</summary>
    protected virtual void LayerSetUp(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top) { }

    /// <summary>Sizes the tops (and internal buffers) from the bottoms' shapes.</summary>
    public abstract void Reshape(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top);

    /// <summary>Reshapes, computes the tops, and returns this layer's weighted loss.</summary>
    public float Forward(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top)
    {
        Reshape(bottom, top);
        ForwardCpu(bottom, top);
        float loss = 0f;
        for (int i = 0; i < top.Count; i++)
            if (LossWeight(i) != 0f) loss += Backend.Dot(ReadData(top[i]), ReadDiff(top[i]));
        return loss;
    }

    public void Backward(IReadOnlyList<Blob> top, IReadOnlyList<bool> propagateDown, IReadOnlyList<Blob> bottom) =>
        BackwardCpu(top, propagateDown, bottom);

    protected abstract void ForwardCpu(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top);

    protected abstract void BackwardCpu(IReadOnlyList<Blob> top, IReadOnlyList<bool> propagateDown, IReadOnlyList<Blob> bottom);

    public float LossWeight(int topIndex) => topIndex < _lossWeights.Length ? _lossWeights[topIndex] : 0f;

    /// <summary>The error to throw for a problem in this layer; the message names it.</summary>
    protected LayerException Error(string problem) => new(Name, Type, problem);

    /// <summary>
    /// Makes <paramref name="blob"/> a 1-D constant of <paramref name="count"/> values (the ones a product
    /// sums with), filling it only when its size changes: Reshape runs before every forward.
    /// </summary>
    protected void KeepConstant(Blob blob, int count, float value)
    {
        if (blob.Count == count && blob.NumAxes == 1) return;
        blob.Reshape(count);
        Backend.Fill(WriteData(blob), value);
    }

    /// <summary>Adds a learnable parameter blob of the given shape; a shape too big for memory is an error naming the layer.</summary>
    protected Blob AddParameter(string role, params int[] shape)
    {
        var blob = new Blob { Name = $"{Name}.{role}" };
        try { blob.Reshape(shape); }
        catch (CortadoException e) when (e is not LayerException) { throw Error(e.Message); }
        Blobs.Add(blob);
        ParamPropagateDown.Add(true);
        return blob;
    }

    private void SetLossWeights(IReadOnlyList<Blob> top)
    {
        if (Param.LossWeight.Count > 0 && Param.LossWeight.Count != top.Count)
            throw Error($"{Param.LossWeight.Count} loss_weight values given for {top.Count} tops; give one per top");
        _lossWeights = Enumerable.Range(0, top.Count).Select(i => Param.LossWeight.Count > 0 ? Param.LossWeight[i] : DefaultLossWeight(i)).ToArray();
        for (int i = 0; i < top.Count; i++)
            if (_lossWeights[i] != 0f) Backend.Fill(WriteDiff(top[i]), _lossWeights[i]);
    }

    private void CheckBlobCounts(int bottoms, int tops)
    {
        void Require(bool ok, string what) { if (!ok) throw Error(what); }
        if (ExactNumBottomBlobs >= 0) Require(bottoms == ExactNumBottomBlobs, $"takes {ExactNumBottomBlobs} bottom blob(s), got {bottoms}");
        if (MinBottomBlobs >= 0) Require(bottoms >= MinBottomBlobs, $"takes at least {MinBottomBlobs} bottom blob(s), got {bottoms}");
        if (MaxBottomBlobs >= 0) Require(bottoms <= MaxBottomBlobs, $"takes at most {MaxBottomBlobs} bottom blob(s), got {bottoms}");
        if (ExactNumTopBlobs >= 0) Require(tops == ExactNumTopBlobs, $"produces {ExactNumTopBlobs} top blob(s), got {tops}");
        if (MinTopBlobs >= 0) Require(tops >= MinTopBlobs, $"produces at least {MinTopBlobs} top blob(s), got {tops}");
        if (MaxTopBlobs >= 0) Require(tops <= MaxTopBlobs, $"produces at most {MaxTopBlobs} top blob(s), got {tops}");
        if (EqualNumBottomTopBlobs) Require(bottoms == tops, $"needs as many tops as bottoms, got {bottoms} bottoms and {tops} tops");
    }
}
