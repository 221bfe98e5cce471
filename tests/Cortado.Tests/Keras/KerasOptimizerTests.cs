using Cortado.Keras;

namespace Cortado.Tests.Keras;

/// <summary>
/// Two steps of each Keras optimizer on a softmax Dense layer, against a replay of Keras 2's
/// update rules in plain code: the weights Fit leaves must match.
/// </summary>
public class KerasOptimizerTests
{
    private static readonly double[][] X = [[1, 2], [0.5, -1]];
    private static readonly int[] Y = [0, 1];
    private static readonly double[] W0 = [0.1, -0.2, 0.3, 0.4]; // Keras (in, out) = 2 x 2
    private static readonly double[] B0 = [0.05, -0.05];

    /// <summary>Mean cross-entropy gradients of the softmax Dense layer: [w00, w01, w10, w11, b0, b1].</summary>
    private static double[] Gradient(double[] p)
    {
        var g = new double[6];
        for (int n = 0; n < 2; n++)
        {
            double z0 = X[n][0] * p[0] + X[n][1] * p[2] + p[4], z1 = X[n][0] * p[1] + X[n][1] * p[3] + p[5];
            double max = Math.Max(z0, z1), e0 = Math.Exp(z0 - max), e1 = Math.Exp(z1 - max);
            double[] dz = [e0 / (e0 + e1) - (Y[n] == 0 ? 1 : 0), e1 / (e0 + e1) - (Y[n] == 1 ? 1 : 0)];
            for (int i = 0; i < 2; i++)
                for (int o = 0; o < 2; o++) g[i * 2 + o] += X[n][i] * dz[o] / 2;
            g[4] += dz[0] / 2;
            g[5] += dz[1] / 2;
        }
        return g;
    }

    private static double[] Replay(Func<int, double[], double[], double[]> step)
    {
        double[] p = [.. W0, .. B0];
        for (int t = 1; t <= 2; t++) p = step(t, p, Gradient(p));
        return p;
    }

    private static double[] Keras(KerasOptimizer optimizer, int steps = 2)
    {
        var model = new Sequential(new Flatten { InputShape = [1, 1, 2] }, new Dense(2) { Activation = "softmax" });
        model.Compile("sparse_categorical_crossentropy", optimizer, "accuracy");
        model.SetWeights("dense_1", W0.Select(v => (float)v).ToArray(), B0.Select(v => (float)v).ToArray());
        model.Fit(X.SelectMany(r => r.Select(v => (float)v)).ToArray(), Y, batchSize: 2, epochs: steps, shuffle: false);
        var w = model.GetWeights("dense_1");
        return [.. w[0].Select(v => (double)v), .. w[1].Select(v => (double)v)];
    }

    private static void Same(double[] expected, double[] actual)
    {
        for (int i = 0; i < expected.Length; i++) Assert.True(Math.Abs(expected[i] - actual[i]) < 2e-6, $"weight {i}: expected {expected[i]}, got {actual[i]}");
    }

    [Fact]
    public void SgdWithMomentumAndNesterov()
    {
        foreach (bool nesterov in new[] { false, true })
        {
            var v = new double[6];
            Same(Replay((t, p, g) =>
            {
                var next = new double[6];
                for (int i = 0; i < 6; i++)
                {
                    v[i] = 0.9 * v[i] - 0.1 * g[i];
                    next[i] = nesterov ? p[i] + 0.9 * v[i] - 0.1 * g[i] : p[i] + v[i];
                }
                return next;
            }), Keras(new SGD(0.1, Momentum: 0.9, Nesterov: nesterov)));
        }
    }

    [Fact]
    public void AdadeltaWithKeras2Defaults()
    {
        double[] a = new double[6], da = new double[6];
        Same(Replay((t, p, g) =>
        {
            var next = new double[6];
            for (int i = 0; i < 6; i++)
            {
                a[i] = 0.95 * a[i] + 0.05 * g[i] * g[i];
                double update = g[i] * Math.Sqrt(da[i] + 1e-7) / Math.Sqrt(a[i] + 1e-7);
                next[i] = p[i] - 1.0 * update;
                da[i] = 0.95 * da[i] + 0.05 * update * update;
            }
            return next;
        }), Keras(new Adadelta()));
    }

    [Fact]
    public void AdamWithKeras2Defaults()
    {
        double[] m = new double[6], v = new double[6];
        Same(Replay((t, p, g) =>
        {
            var next = new double[6];
            double lrT = 0.001 * Math.Sqrt(1 - Math.Pow(0.999, t)) / (1 - Math.Pow(0.9, t));
            for (int i = 0; i < 6; i++)
            {
                m[i] = 0.9 * m[i] + 0.1 * g[i];
                v[i] = 0.999 * v[i] + 0.001 * g[i] * g[i];
                next[i] = p[i] - lrT * m[i] / (Math.Sqrt(v[i]) + 1e-7);
            }
            return next;
        }), Keras(new Adam()));
    }

    [Fact]
    public void RmspropAndAdagradWithKeras2Defaults()
    {
        var a = new double[6];
        Same(Replay((t, p, g) =>
        {
            var next = new double[6];
            for (int i = 0; i < 6; i++) { a[i] = 0.9 * a[i] + 0.1 * g[i] * g[i]; next[i] = p[i] - 0.001 * g[i] / (Math.Sqrt(a[i]) + 1e-7); }
            return next;
        }), Keras(new RMSprop()));

        var sum = new double[6];
        Same(Replay((t, p, g) =>
        {
            var next = new double[6];
            for (int i = 0; i < 6; i++) { sum[i] += g[i] * g[i]; next[i] = p[i] - 0.01 * g[i] / (Math.Sqrt(sum[i]) + 1e-7); }
            return next;
        }), Keras(new Adagrad()));
    }

    [Fact]
    public void TimeBasedDecayIsKerasFormula()
    {
        // Keras: lr_t = lr / (1 + decay * iterations), iterations counting from 0.
        var v = new double[6];
        Same(Replay((t, p, g) =>
        {
            double lr = 0.1 / (1 + 0.5 * (t - 1));
            var next = new double[6];
            for (int i = 0; i < 6; i++) next[i] = p[i] - lr * g[i];
            return next;
        }), Keras(new SGD(0.1, Decay: 0.5)));
    }
}
