using Cortado.Errors;
using Cortado.Tensors;
using Cortado.Tests.Devices;
using static Cortado.Tests.Layers.LayerTestKit;

namespace Cortado.Tests.Layers;

/// <summary>
/// LSTM, LSTMUnit and RNN: outputs against the step-by-step reference, gradients by finite
/// differences, the unit by hand, and Caffe's semantics of cont, expose_hidden and the state that
/// one forward pass hands to the next.
/// </summary>
public abstract class RecurrentLayerTests<TDevice> where TDevice : ITestDevice
{
    private const int T = 4, N = 3, D = 5, H = 3;
    private const string Fillers = "weight_filler { type: 'uniform' min: -0.6 max: 0.6 } bias_filler { type: 'uniform' min: -0.4 max: 0.4 }";

    private static Cortado.Layers.Layer Create(string prototxt) => LayerTestKit.Create(prototxt, TDevice.Compute);

    private static string Recurrent(string type, int hidden = H, bool expose = false) =>
        $"name: 'r' type: '{type}' recurrent_param {{ num_output: {hidden} {Fillers} expose_hidden: {(expose ? "true" : "false")} }}";

    /// <summary>Stream 0 runs through; stream 1 starts a new sequence at step 2; stream 2 at every step.</summary>
    private static Blob Cont(int steps = T, bool firstContinues = false)
    {
        var cont = new Blob(steps, N);
        for (int t = 0; t < steps; t++)
        {
            cont.Data[t * N + 0] = t > 0 || firstContinues ? 1 : 0;
            cont.Data[t * N + 1] = (t > 0 && t != 2) || firstContinues ? 1 : 0;
            cont.Data[t * N + 2] = firstContinues && t == 0 ? 1 : 0;
        }
        return cont;
    }

    private static float[] P(Cortado.Layers.Layer layer, int i) => layer.Blobs[i].HostData.ToArray();

    private static void Close(double[] expected, ReadOnlySpan<float> actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= 1e-5, $"{what}[{i}]: reference {expected[i]}, layer {actual[i]}");
    }

    // ---------------------------------------------------------------- against the reference

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void LstmMatchesTheStepByStepReference(bool expose)
    {
        var layer = Create(Recurrent("LSTM", expose: expose));
        var x = Filled(1, 1f, T, N, D);
        var cont = Cont(firstContinues: expose);
        var h0 = expose ? Filled(2, 0.5f, 1, N, H) : new Blob(1, N, H);
        var c0 = expose ? Filled(3, 0.5f, 1, N, H) : new Blob(1, N, H);
        Blob[] bottom = expose ? [x, cont, h0, c0] : [x, cont];
        var top = Tops(expose ? 3 : 1);
        layer.SetUp(bottom, top);
        layer.Forward(bottom, top);

        Assert.Equal([[4 * H, D], [4 * H], [4 * H, H]], layer.Blobs.Select(b => b.Shape.ToArray()));
        var (h, finalH, finalC) = RecurrentReference.Lstm(T, N, D, H, x.Data.ToArray(), cont.Data.ToArray(), P(layer, 0), P(layer, 1), P(layer, 2),
            h0.Data.ToArray(), c0.Data.ToArray());
        Assert.Equal([T, N, H], top[0].Shape.ToArray());
        Close(h, top[0].HostData, "h");
        if (expose)
        {
            Close(finalH, top[1].HostData, "h_T");
            Close(finalC, top[2].HostData, "c_T");
        }
    }

    [Fact]
    public void LstmWithAStaticInputMatchesTheReference()
    {
        var layer = Create(Recurrent("LSTM"));
        var x = Filled(4, 1f, T, N, D);
        var cont = Cont();
        var xStatic = Filled(5, 1f, N, 2);
        var top = Tops(1);
        layer.SetUp([x, cont, xStatic], top);
        layer.Forward([x, cont, xStatic], top);
        Assert.Equal([[4 * H, D], [4 * H], [4 * H, 2], [4 * H, H]], layer.Blobs.Select(b => b.Shape.ToArray()));
        var (h, _, _) = RecurrentReference.Lstm(T, N, D, H, x.Data.ToArray(), cont.Data.ToArray(), P(layer, 0), P(layer, 1), P(layer, 3),
            new float[N * H], new float[N * H], xStatic.Data.ToArray(), P(layer, 2), 2);
        Close(h, top[0].HostData, "h");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void RnnMatchesTheStepByStepReference(bool expose)
    {
        var layer = Create(Recurrent("RNN", expose: expose));
        var x = Filled(6, 1f, T, N, D);
        var cont = Cont(firstContinues: expose);
        var h0 = expose ? Filled(7, 0.5f, 1, N, H) : new Blob(1, N, H);
        Blob[] bottom = expose ? [x, cont, h0] : [x, cont];
        var top = Tops(expose ? 2 : 1);
        layer.SetUp(bottom, top);
        layer.Forward(bottom, top);
        Assert.Equal([[H, D], [H], [H, H], [H, H], [H]], layer.Blobs.Select(b => b.Shape.ToArray()));
        var (o, finalH) = RecurrentReference.Rnn(T, N, D, H, x.Data.ToArray(), cont.Data.ToArray(), P(layer, 0), P(layer, 1), P(layer, 2), P(layer, 3), P(layer, 4), h0.Data.ToArray());
        Close(o, top[0].HostData, "o");
        if (expose) Close(finalH, top[1].HostData, "h_T");
    }

    [Theory]
    [InlineData("LSTM")]
    [InlineData("RNN")]
    public void AForwardPassStartsWhereThePreviousOneEnded(string type)
    {
        // Two passes of 2 steps with the sequences continuing equal one pass of 4 steps, as Caffe carries the state between batches.
        var whole = Filled(8, 1f, T, N, D);
        var layer = Create(Recurrent(type));
        var top = Tops(1);
        var cont = new Blob(2, N);
        cont.Data.Fill(1f);
        cont.Data[..N].Clear();
        var first = Values(whole.Data[..(2 * N * D)].ToArray(), 2, N, D);
        layer.SetUp([first, cont], top);
        layer.Forward([first, cont], top);
        var second = Values(whole.Data[(2 * N * D)..].ToArray(), 2, N, D);
        var allOnes = new Blob(2, N);
        allOnes.Data.Fill(1f);
        layer.Forward([second, allOnes], top);

        var fullCont = new float[T * N];
        Array.Fill(fullCont, 1f, N, (T - 1) * N);
        double[] expected = type == "LSTM"
            ? RecurrentReference.Lstm(T, N, D, H, whole.Data.ToArray(), fullCont, P(layer, 0), P(layer, 1), P(layer, 2), new float[N * H], new float[N * H]).H
            : RecurrentReference.Rnn(T, N, D, H, whole.Data.ToArray(), fullCont, P(layer, 0), P(layer, 1), P(layer, 2), P(layer, 3), P(layer, 4), new float[N * H]).O;
        Close(expected[(2 * N * H)..], top[0].HostData, "second pass");
    }

    // ---------------------------------------------------------------- gradients

    [Theory]
    [InlineData("LSTM", false, false)]
    [InlineData("LSTM", true, false)]
    [InlineData("LSTM", false, true)]
    [InlineData("RNN", false, false)]
    [InlineData("RNN", true, false)]
    [InlineData("RNN", false, true)]
    public void RecurrentGradients(string type, bool withStatic, bool expose)
    {
        var bottom = new List<Blob> { Filled(9, 1f, T, N, D), Cont(firstContinues: expose) };
        if (withStatic) bottom.Add(Filled(10, 1f, N, 2));
        if (expose)
        {
            bottom.Add(Filled(11, 0.5f, 1, N, H));
            if (type == "LSTM") bottom.Add(Filled(12, 0.5f, 1, N, H));
        }
        int tops = 1 + (expose ? (type == "LSTM" ? 2 : 1) : 0);
        // The final states' diffs are not read (no gradient crosses a batch), so only the output is weighted.
        var checker = new GradientChecker(threshold: 2e-3);
        var layer = Create(Recurrent(type, expose: expose));
        checker.Check(layer, bottom, Tops(tops), checkBottoms: withStatic ? [0, 2] : [0], objectiveTops: [0]);
    }

    [Fact]
    public void LstmUnitGradient()
    {
        var cont = Values([1, 0, 1], 1, N);
        new GradientChecker().Check(Create("type: 'LSTMUnit'"), [Filled(13, 1f, 1, N, H), Filled(14, 1f, 1, N, 4 * H), cont], Tops(2), checkBottoms: [0, 1]);
    }

    // ---------------------------------------------------------------- by hand

    [Fact]
    public void LstmUnitByHand()
    {
        // All gates at 0: i = f = o = 1/2, g = 0, so c = cont c_prev / 2 and h = tanh(c) / 2.
        var layer = Create("type: 'LSTMUnit'");
        var bottom = new[] { Values([2, 2], 1, 2, 1), new Blob(1, 2, 4), Values([1, 0], 1, 2) };
        var top = Tops(2);
        layer.SetUp(bottom, top);
        layer.Forward(bottom, top);
        Near([1, 0], top[0].HostData);
        Near([0.5f * MathF.Tanh(1), 0], top[1].HostData);

        // dC = 1, dH = 0: dc_prev = cont f, di = dC g i(1-i) = 0, df = dC c_prev cont f(1-f), do = 0, dg = dC i (1 - g^2).
        top[0].Diff.Fill(1f);
        top[1].Diff.Clear();
        layer.Backward(top, [true, true, false], bottom);
        Near([0.5f, 0], bottom[0].HostDiff);
        Near([0, 0.5f, 0, 0.5f, 0, 0, 0, 0.5f], bottom[1].HostDiff);
    }

    // ---------------------------------------------------------------- bad input

    [Fact]
    public void ShapesThatDoNotFitAreRefusedByName()
    {
        var layer = Create(Recurrent("LSTM"));
        var top = Tops(1);
        layer.SetUp([Filled(1, 1f, T, N, D), Cont()], top);
        var steps = Assert.Throws<LayerException>(() => layer.Forward([Filled(1, 1f, T + 1, N, D), Cont(T + 1)], top));
        Assert.Contains("must keep its 4 timesteps", steps.Message);
        var cont = Assert.Throws<LayerException>(() => layer.Forward([Filled(1, 1f, T, N, D), new Blob(T, N + 1)], top));
        Assert.Contains("cont (bottom 1) must be 4 x 3", cont.Message);
        Assert.Contains("'r'", cont.Message);
        var missing = Assert.Throws<LayerException>(() => Create("type: 'LSTM' recurrent_param { }").SetUp([Filled(1, 1f, T, N, D), Cont()], Tops(1)));
        Assert.Contains("num_output", missing.Message);
        var unit = Assert.Throws<LayerException>(() => Create("type: 'LSTMUnit'").SetUp([new Blob(1, 2, 3), new Blob(1, 2, 6), new Blob(1, 2)], Tops(2)));
        Assert.Contains("must be 1 x 2 x 12", unit.Message);
    }
}

public sealed class RecurrentLayerTestsOnCpu : RecurrentLayerTests<OnCpu>;
public sealed class RecurrentLayerTestsOnEmulatedDevice : RecurrentLayerTests<OnEmulatedDevice>;
public sealed class RecurrentLayerTestsOnEmulatedGpu : RecurrentLayerTests<OnEmulatedGpu>;
