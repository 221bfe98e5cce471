using Cortado.Compute;
using Cortado.Fillers;
using Cortado.Proto;
using Cortado.Tensors;

namespace Cortado.Layers;

/// <summary>
/// What Caffe's LSTM and RNN layers share (its RecurrentLayer). Bottoms: x (T x N x ...), the
/// continuation flags cont (T x N: 0 where a stream's sequence starts, which clears its state),
/// optionally a static input x_static (N x ...) seen at every step, and with
/// <c>expose_hidden</c> the initial states (1 x N x H each). Tops: the outputs (T x N x H), and
/// with <c>expose_hidden</c> the final states. Without it, a forward pass starts from the state
/// the previous one ended in (zero at first), as Caffe carries it between batches. As in Caffe,
/// no gradient crosses a batch: the initial states get none and the final states' diffs are not read.
/// <para>
/// Caffe builds an unrolled net of InnerProduct, Eltwise, Scale and unit layers; this computes the
/// same thing directly. The input transforms of all T steps are one product; the step-to-step
/// recurrence is one product per step, forward and backward; the weight gradients of the
/// recurrence are one product over all steps. The parameters are Caffe's, in its order:
/// W_x (G x D), b (G), [W_static (G x D_static)], W_h (G x H), then a subclass's own, where G is
/// the width of the recurrent pre-activation (4H for LSTM, H for RNN).
/// </para>
/// </summary>
public abstract class RecurrentLayer : Layer
{
    protected RecurrentLayer(LayerParameter param, LayerContext context) : base(param, context)
    {
        ExposeHidden = Param.RecurrentParam?.ExposeHidden ?? false;
    }

    /// <summary>The recurrent states (h, and c for LSTM), in Caffe's bottom and top order.</summary>
    protected abstract int StateCount { get; }
    /// <summary>Pre-activation rows per hidden unit: 4 for LSTM (its gates), 1 for RNN.</summary>
    protected abstract int GatesPerUnit { get; }

    public override int MinBottomBlobs => 2 + Exposed;
    public override int MaxBottomBlobs => 3 + Exposed;
    public override int ExactNumTopBlobs => 1 + Exposed;
    public override bool AllowForceBackward(int bottomIndex) => bottomIndex != 1;

    protected bool ExposeHidden { get; }
    private int Exposed => ExposeHidden ? StateCount : 0;
    protected int Steps { get; private set; }
    protected int Streams { get; private set; }
    protected int Hidden { get; private set; }
    protected int Gates => GatesPerUnit * Hidden;
    private int _inputDim, _staticDim;
    private bool _static;

    /// <summary>Pre-activations of every step (T x N x G); the diff holds their gradients in backward.</summary>
    protected Blob PreActivation { get; } = new();
    /// <summary>The states h_0 .. h_T ((T + 1) x N x H); step t reads slot t and writes slot t + 1.</summary>
    protected Blob HiddenStates { get; } = new();
    /// <summary>cont_t h_{t-1} for each step (T x N x H): what the recurrent weights multiply.</summary>
    protected Blob ContinuedHidden { get; } = new();
    /// <summary>The gradient carried from step t + 1 into h_t (N x H), in the data.</summary>
    protected Blob HiddenCarry { get; } = new();
    private readonly Blob _staticPre = new(), _stepOnes = new();
    /// <summary>T x N ones: the bias products over all steps' rows.</summary>
    protected Blob RowOnes { get; } = new();

    protected Blob InputWeights => Blobs[0];
    protected Blob InputBias => Blobs[1];
    private Blob StaticWeights => Blobs[2];
    // Parameter and bottom positions shift by one when a static input is given.
    private int RecurrentIndex => _static ? 3 : 2;
    private int FirstStateBottom => _static ? 3 : 2;
    protected Blob RecurrentWeights => Blobs[RecurrentIndex];
    protected int FirstOwnParameter => RecurrentIndex + 1;
    protected RecurrentParameter P => Param.RecurrentParam ?? new RecurrentParameter();

    /// <summary>The span of one step of a blob laid out as (steps) x N x width.</summary>
    protected static DeviceSpan<float> Step(DeviceSpan<float> values, int step, int size) => values.Slice(step * size, size);

    protected override void LayerSetUp(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top)
    {
        if (!P.HasNumOutput || P.NumOutput == 0) throw Error("recurrent_param.num_output must be set and positive");
        var x = bottom[0];
        if (x.NumAxes < 2) throw Error($"x (bottom 0) must have at least 2 axes, (timesteps x streams x ...), got {x.ShapeString}");
        (Steps, Streams, Hidden) = (x.Shape[0], x.Shape[1], (int)P.NumOutput);
        _static = bottom.Count > 2 + Exposed;
        _inputDim = x.CountFrom(2);
        Log($"Initializing recurrent layer: assuming input batch contains {Steps} timesteps of {Streams} independent streams.");

        Filler.Fill(P.WeightFiller, AddParameter("W_x", Gates, _inputDim), Context.Random);
        Filler.Fill(P.BiasFiller, AddParameter("b", Gates), Context.Random);
        if (_static)
        {
            var xs = bottom[2];
            if (xs.NumAxes < 1 || xs.Shape[0] != Streams) throw Error($"x_static (bottom 2) must be {Streams} x ..., one row per stream, got {xs.ShapeString}");
            _staticDim = xs.CountFrom(1);
            Filler.Fill(P.WeightFiller, AddParameter("W_static", Gates, _staticDim), Context.Random);
        }
        Filler.Fill(P.WeightFiller, AddParameter("W_h", Gates, Hidden), Context.Random);
        AddOwnParameters();
    }

    private void Log(string line) => Context.Log.Info("recurrent_layer.cpp", line);

    /// <summary>The subclass's parameters after Caffe's common ones (RNN's output transform).</summary>
    protected virtual void AddOwnParameters() { }

    public override void Reshape(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top)
    {
        var (x, cont) = (bottom[0], bottom[1]);
        if (x.NumAxes < 2 || x.Shape[0] != Steps)
            throw Error($"x (bottom 0) must keep its {Steps} timesteps, got {x.ShapeString}");
        if (x.CountFrom(2) != _inputDim) throw Error($"x (bottom 0) has {x.CountFrom(2)} values per step and stream, the weights expect {_inputDim}");
        int streams = x.Shape[1];
        if (cont.NumAxes != 2 || cont.Shape[0] != Steps || cont.Shape[1] != streams)
            throw Error($"cont (bottom 1) must be {Steps} x {streams} (timesteps x streams), got {cont.ShapeString}");
        if (_static && (bottom[2].Shape[0] != streams || bottom[2].CountFrom(1) != _staticDim))
            throw Error($"x_static (bottom 2) must be {streams} x {_staticDim} values, got {bottom[2].ShapeString}");
        bool resized = streams != Streams || HiddenStates.Count == 0;
        Streams = streams;
        for (int s = 0, b = FirstStateBottom; s < Exposed; s++, b++)
            if (bottom[b].NumAxes != 3 || bottom[b].Shape[0] != 1 || bottom[b].Shape[1] != Streams || bottom[b].Shape[2] != Hidden)
                throw Error($"bottom {b} ({StateName(s)}_0) must be 1 x {Streams} x {Hidden}, got {bottom[b].ShapeString}");

        PreActivation.Reshape(Steps, Streams, Gates);
        ContinuedHidden.Reshape(Steps, Streams, Hidden);
        HiddenCarry.Reshape(Streams, Hidden);
        if (_static) _staticPre.Reshape(Streams, Gates);
        KeepConstant(RowOnes, Steps * Streams, 1f);
        KeepConstant(_stepOnes, Steps, 1f);
        ReshapeStates(resized);
        if (resized)
        {
            HiddenStates.Reshape(Steps + 1, Streams, Hidden);
            Backend.Fill(WriteData(HiddenStates), 0f);
        }
        ReshapeOutput(bottom, top[0]);
        for (int s = 0; s < Exposed; s++) top[1 + s].Reshape(1, Streams, Hidden);
    }

    private string StateName(int state) => state == 0 ? "h" : "c";

    /// <summary>Sizes the subclass's own state buffers; when <paramref name="resized"/>, they start from zero.</summary>
    protected virtual void ReshapeStates(bool resized) { }
    protected abstract void ReshapeOutput(IReadOnlyList<Blob> bottom, Blob output);
    /// <summary>State <paramref name="state"/>'s buffer of T + 1 slots (h is <see cref="HiddenStates"/>).</summary>
    protected virtual Blob States(int state) => HiddenStates;

    protected override void ForwardCpu(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top)
    {
        int slot = Streams * Hidden;
        for (int s = 0; s < StateCount; s++)
        {
            var states = WriteData(States(s));
            // The initial state: the exposed bottom, or where the previous pass ended.
            var initial = ExposeHidden ? ReadData(bottom[FirstStateBottom + s]) : Step(states, Steps, slot);
            Backend.Copy(initial, Step(states, 0, slot));
        }

        // All steps' input transforms at once: pre = x W_x^T + b, plus W_static x_static at each step.
        int rows = Steps * Streams;
        var pre = WriteData(PreActivation);
        Backend.Gemm(Transpose.No, Transpose.Yes, rows, Gates, _inputDim, 1f, ReadData(bottom[0]), ReadData(InputWeights), 0f, pre);
        Backend.Gemm(Transpose.No, Transpose.No, rows, Gates, 1, 1f, ReadData(RowOnes), ReadData(InputBias), 1f, pre);
        if (_static)
        {
            var staticPre = WriteData(_staticPre);
            Backend.Gemm(Transpose.No, Transpose.Yes, Streams, Gates, _staticDim, 1f, ReadData(bottom[2]), ReadData(StaticWeights), 0f, staticPre);
            for (int t = 0; t < Steps; t++) Backend.Add(Step(pre, t, Streams * Gates), staticPre, Step(pre, t, Streams * Gates));
        }

        var cont = ReadData(bottom[1]);
        var hidden = WriteData(HiddenStates);
        var continued = WriteData(ContinuedHidden);
        for (int t = 0; t < Steps; t++)
        {
            // pre_t += W_h (cont_t h_{t-1}): a new sequence does not see the last one's state.
            var hConted = Step(continued, t, slot);
            Backend.MapChannels(new MulOp(), Step(hidden, t, slot), cont.Slice(t * Streams, Streams), new ChannelLayout(1, Streams, Hidden), hConted);
            var stepPre = Step(pre, t, Streams * Gates);
            Backend.Gemm(Transpose.No, Transpose.Yes, Streams, Gates, Hidden, 1f, hConted, ReadData(RecurrentWeights), 1f, stepPre);
            Cell(t, stepPre, cont.Slice(t * Streams, Streams));
        }

        WriteOutput(top[0]);
        for (int s = 0; s < Exposed; s++) Backend.Copy(Step(ReadData(States(s)), Steps, slot), WriteData(top[1 + s]));
    }

    /// <summary>Step t's nonlinearity: from its pre-activations, writes slot t + 1 of the states.</summary>
    protected abstract void Cell(int step, DeviceSpan<float> pre, DeviceSpan<float> cont);
    /// <summary>The output top from the states of all steps.</summary>
    protected abstract void WriteOutput(Blob output);
    /// <summary>
    /// The gradient of the output top as a gradient of h_1 .. h_T (T x N x H, in <paramref name="hiddenDiff"/>),
    /// computing the subclass's own parameter gradients on the way; returns null when the output is h itself.
    /// </summary>
    protected abstract DeviceSpan<float>? OutputToHidden(Blob output);
    /// <summary>
    /// Step t backward: from dh_t (the output's share plus the carry) writes the step's
    /// pre-activation gradient into <paramref name="dpre"/>, and carries whatever else the cell
    /// keeps (LSTM's dc) to step t - 1.
    /// </summary>
    protected abstract void CellBackward(int step, DeviceSpan<float> dh, DeviceSpan<float> cont, DeviceSpan<float> dpre);
    /// <summary>Clears the subclass's carried gradients before the last step.</summary>
    protected virtual void StartBackward() { }

    protected override void BackwardCpu(IReadOnlyList<Blob> top, IReadOnlyList<bool> propagateDown, IReadOnlyList<Blob> bottom)
    {
        if (propagateDown[1]) throw Error("cannot backpropagate to the sequence continuation flags (bottom 1)");
        int slot = Streams * Hidden, gateStep = Streams * Gates, rows = Steps * Streams;
        var hiddenDiff = OutputToHidden(top[0]) ?? ReadDiff(top[0]);
        var cont = ReadData(bottom[1]);
        var dpre = WriteDiff(PreActivation);
        var carry = WriteData(HiddenCarry);
        Backend.Fill(carry, 0f);
        StartBackward();
        for (int t = Steps - 1; t >= 0; t--)
        {
            // dh_t = the output's gradient at t + what step t + 1 sent back through W_h.
            Backend.Add(Step(hiddenDiff, t, slot), carry, carry);
            var stepDpre = Step(dpre, t, gateStep);
            CellBackward(t, carry, cont.Slice(t * Streams, Streams), stepDpre);
            if (t == 0) break;
            Backend.Gemm(Transpose.No, Transpose.No, Streams, Hidden, Gates, 1f, stepDpre, ReadData(RecurrentWeights), 0f, carry);
            Backend.MapChannels(new MulOp(), carry, cont.Slice(t * Streams, Streams), new ChannelLayout(1, Streams, Hidden), carry);
        }

        var x = ReadData(bottom[0]);
        if (ParamPropagateDown[0]) Backend.Gemm(Transpose.Yes, Transpose.No, Gates, _inputDim, rows, 1f, dpre, x, 1f, WriteDiff(InputWeights));
        if (ParamPropagateDown[1]) Backend.Gemv(Transpose.Yes, rows, Gates, 1f, dpre, ReadData(RowOnes), 1f, WriteDiff(InputBias));
        if (ParamPropagateDown[RecurrentIndex])
            Backend.Gemm(Transpose.Yes, Transpose.No, Gates, Hidden, rows, 1f, dpre, ReadData(ContinuedHidden), 1f, WriteDiff(RecurrentWeights));
        if (_static && (ParamPropagateDown[2] || propagateDown[2]))
        {
            // The static input is seen at every step: its gradient sums the steps'.
            var summed = WriteDiff(_staticPre);
            Backend.Gemv(Transpose.Yes, Steps, gateStep, 1f, dpre, ReadData(_stepOnes), 0f, summed);
            if (ParamPropagateDown[2]) Backend.Gemm(Transpose.Yes, Transpose.No, Gates, _staticDim, Streams, 1f, summed, ReadData(bottom[2]), 1f, WriteDiff(StaticWeights));
            if (propagateDown[2]) Backend.Gemm(Transpose.No, Transpose.No, Streams, _staticDim, Gates, 1f, summed, ReadData(StaticWeights), 0f, WriteDiff(bottom[2]));
        }
        if (propagateDown[0]) Backend.Gemm(Transpose.No, Transpose.No, rows, _inputDim, Gates, 1f, dpre, ReadData(InputWeights), 0f, WriteDiff(bottom[0]));
        for (int b = FirstStateBottom; b < bottom.Count; b++)
            if (propagateDown[b]) Backend.Fill(WriteDiff(bottom[b]), 0f);
    }
}
