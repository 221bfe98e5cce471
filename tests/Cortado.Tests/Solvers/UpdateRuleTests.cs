using Cortado.Tests.Devices;
using Cortado.Proto;
using Cortado.Solvers;

namespace Cortado.Tests.Solvers;

/// <summary>
/// Three iterations of each update rule on the linear net, against a plain scalar replay of the
/// formulas in Caffe's documentation (shared/FACTS.md), with momentum, L2 and L1 weight decay,
/// per-blob lr_mult/decay_mult and iter_size.
/// </summary>
public abstract class UpdateRuleTests<TDevice> where TDevice : ITestDevice
{
    private const string Common = "base_lr: 0.1 lr_policy: 'step' gamma: 0.5 stepsize: 2 max_iter: 10 random_seed: 1 ";

    /// <summary>The reference: parameters [w0, w1, b] with their lr and decay multipliers.</summary>
    private static double[] Replay(string type, double momentum, double decay, bool l1, int iterations, double momentum2 = 0.999, double delta = 1e-8, double rmsDecay = 0.99)
    {
        double[] p = [0.5, 0.5, 0.1];
        double[] lrMult = [1, 1, 2], decayMult = [1, 1, 0];
        double[] x = [1, 1];
        var h = new double[3];
        var h2 = new double[3];
        for (int iter = 0; iter < iterations; iter++)
        {
            double rate = 0.1 * Math.Pow(0.5, iter / 2);
            double e = p[0] * x[0] + p[1] * x[1] + p[2] - 3;
            double[] g = [e * x[0], e * x[1], e];
            for (int i = 0; i < 3; i++)
            {
                double local = decay * decayMult[i];
                g[i] += l1 ? local * Math.Sign(p[i]) : local * p[i];
                double lr = rate * lrMult[i], step;
                switch (type)
                {
                    case "SGD": h[i] = momentum * h[i] + lr * g[i]; step = h[i]; break;
                    case "Nesterov": { double old = h[i]; h[i] = momentum * h[i] + lr * g[i]; step = (1 + momentum) * h[i] - momentum * old; break; }
                    case "AdaGrad": h[i] += g[i] * g[i]; step = lr * g[i] / (Math.Sqrt(h[i]) + delta); break;
                    case "RMSProp": h[i] = rmsDecay * h[i] + (1 - rmsDecay) * g[i] * g[i]; step = lr * g[i] / (Math.Sqrt(h[i]) + delta); break;
                    case "AdaDelta":
                    {
                        h[i] = momentum * h[i] + (1 - momentum) * g[i] * g[i];
                        double u = g[i] * Math.Sqrt((h2[i] + delta) / (h[i] + delta));
                        h2[i] = momentum * h2[i] + (1 - momentum) * u * u;
                        step = lr * u;
                        break;
                    }
                    case "Adam":
                    {
                        int t = iter + 1;
                        h[i] = momentum * h[i] + (1 - momentum) * g[i];
                        h2[i] = momentum2 * h2[i] + (1 - momentum2) * g[i] * g[i];
                        step = lr * Math.Sqrt(1 - Math.Pow(momentum2, t)) / (1 - Math.Pow(momentum, t)) * h[i] / (Math.Sqrt(h2[i]) + delta);
                        break;
                    }
                    default: throw new ArgumentException(type);
                }
                p[i] -= step;
            }
        }
        return p;
    }

    private static float[] Train(string settings, int iterations)
    {
        var solver = SolverFactory.Create(SolverTestNets.Solver(SolverTestNets.Linear, Common + settings), new SolverOptions { Compute = TDevice.Compute });
        solver.Step(iterations);
        var layer = solver.Net.Layer("ip");
        return [layer.Blobs[0].Data[0], layer.Blobs[0].Data[1], layer.Blobs[1].Data[0]];
    }

    private static void Same(double[] expected, float[] actual)
    {
        for (int i = 0; i < 3; i++) Assert.True(Math.Abs(expected[i] - actual[i]) < 1e-5, $"parameter {i}: expected {expected[i]}, got {actual[i]}");
    }

    [Theory]
    [InlineData("SGD", 0.9, 0.0005, false)]
    [InlineData("SGD", 0.0, 0.01, true)]
    [InlineData("Nesterov", 0.9, 0.0005, false)]
    [InlineData("AdaGrad", 0.0, 0.0005, false)]
    [InlineData("RMSProp", 0.0, 0.0005, false)]
    [InlineData("AdaDelta", 0.95, 0.0005, false)]
    [InlineData("Adam", 0.9, 0.0005, false)]
    public void ThreeIterationsMatchTheFormulas(string type, double momentum, double decay, bool l1)
    {
        string settings = $"type: '{type}' momentum: {momentum} weight_decay: {decay} regularization_type: '{(l1 ? "L1" : "L2")}'";
        Same(Replay(type, momentum, decay, l1, 3), Train(settings, 3));
    }

    [Fact]
    public void OldSolverTypeEnumSelectsTheRule()
    {
        Same(Replay("Nesterov", 0.9, 0, false, 2), Train("solver_type: NESTEROV momentum: 0.9", 2));
    }

    [Fact]
    public void IterSizeAveragesTheAccumulatedGradient()
    {
        // The same batch twice, divided by iter_size: the same step as one pass.
        Same(Replay("SGD", 0.9, 0.0005, false, 3), Train("momentum: 0.9 weight_decay: 0.0005 iter_size: 2", 3));
    }

    [Fact]
    public void ClippingScalesTheGlobalNormDown()
    {
        // First gradient: e = 0.5 + 0.5 + 0.1 - 3 = -1.9, g = [-1.9, -1.9, -1.9]; scaled to norm 1 each part is -1/sqrt(3).
        var solver = SolverFactory.Create(SolverTestNets.Solver(SolverTestNets.Linear, Common + "clip_gradients: 1"), new SolverOptions { Compute = TDevice.Compute });
        solver.Step(1);
        var layer = solver.Net.Layer("ip");
        double part = 1 / Math.Sqrt(3);
        Assert.Equal(0.5 + 0.1 * part, layer.Blobs[0].Data[0], 5);
        Assert.Equal(0.5 + 0.1 * part, layer.Blobs[0].Data[1], 5);
        Assert.Equal(0.1 + 0.2 * part, layer.Blobs[1].Data[0], 5);
    }

    [Fact]
    public void MomentumWithAdaGradIsRejected()
    {
        var e = Assert.Throws<Cortado.Errors.CortadoException>(() => SolverFactory.Create(SolverTestNets.Solver(SolverTestNets.Linear, Common + "type: 'AdaGrad' momentum: 0.9")));
        Assert.Contains("AdaGrad solver has no momentum", e.Message);
    }

    [Fact]
    public void UnknownTypeIsNamed()
    {
        var e = Assert.Throws<Cortado.Errors.CortadoException>(() => SolverFactory.Create(SolverTestNets.Solver(SolverTestNets.Linear, Common + "type: 'Adamw'")));
        Assert.Equal("unknown solver type \"Adamw\"; known: SGD, Nesterov, AdaGrad, RMSProp, AdaDelta, Adam", e.Message);
    }
}

public sealed class UpdateRuleTestsOnCpu : UpdateRuleTests<OnCpu>;
public sealed class UpdateRuleTestsOnEmulatedDevice : UpdateRuleTests<OnEmulatedDevice>;
public sealed class UpdateRuleTestsOnEmulatedGpu : UpdateRuleTests<OnEmulatedGpu>;
