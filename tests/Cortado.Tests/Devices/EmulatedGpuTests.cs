using System.Globalization;
using System.Reflection;
using System.Text.RegularExpressions;
using Cortado.Cli;
using Cortado.Compute;
using Cortado.Data;
using Cortado.Gpu;
using Cortado.Tests.Compute;
using static Cortado.Tests.Devices.DeviceValues;

namespace Cortado.Tests.Devices;

/// <summary>
/// What the GPU backend adds to the suites that run on it (every layer, net and solver suite has
/// an OnEmulatedGpu class): its own GEMM kernel (cuBLAS's stand-in), draws and sums that repeat
/// the CPU's, kernels for every operator struct, and a trained snapshot scored through the
/// command line on the emulated device as on the CPU.
/// </summary>
public class EmulatedGpuTests
{
    private static GpuCompute Gpu => EmulatedGpu.Instance;

    [Theory]
    [InlineData(false, false, 7, 5, 3)]
    [InlineData(true, false, 6, 9, 4)]
    [InlineData(false, true, 5, 6, 11)]
    [InlineData(true, true, 9, 1, 2)]
    [InlineData(false, false, 1, 13, 17)]
    public void TheGemmKernelMatchesTheCpuOnEveryTransposeAndRaggedEdge(bool transA, bool transB, int m, int n, int k)
    {
        var a = Reference.Random(m * k, 1);
        var b = Reference.Random(k * n, 2);
        var c = Reference.Random(m * n, 3);
        var expected = (float[])c.Clone();
        Cortado.Compute.Gemm.Compute(transA ? Transpose.Yes : Transpose.No, transB ? Transpose.Yes : Transpose.No, m, n, k, 0.5f, a, b, 2f, expected);
        var result = Upload(Gpu, c);
        Gpu.GemmKernel(transA, transB, m, n, k, 0.5f, Upload(Gpu, a), Upload(Gpu, b), 2f, result);
        var actual = Download(Gpu, result);
        for (int i = 0; i < expected.Length; i++) Assert.Equal(expected[i], actual[i], 4);

        // beta 0 does not read C, as BLAS promises: NaNs there do not leak into the product.
        var garbage = Upload(Gpu, Enumerable.Repeat(float.NaN, m * n).ToArray());
        Gpu.GemmKernel(transA, transB, m, n, k, 1f, Upload(Gpu, a), Upload(Gpu, b), 0f, garbage);
        Assert.All(Download(Gpu, garbage), v => Assert.True(float.IsFinite(v)));
    }

    /// <summary>Grid-stride loops and the group sums have remainders of every kind: every length up to 300 against the CPU.</summary>
    [Fact]
    public void MapsAndSumsAgreeWithTheCpuAtEveryLength()
    {
        for (int n = 0; n <= 300; n++)
        {
            var a = Reference.Random(n, n + 1);
            var b = Reference.Random(n, n + 2);
            var y = Upload(Gpu, new float[n]);
            Gpu.Map(new SigmoidOp(), Upload(Gpu, a), y);
            var actual = Download(Gpu, y);
            for (int i = 0; i < n; i++) Assert.Equal(1f / (1f + MathF.Exp(-a[i])), actual[i], 6);
            double dot = a.Zip(b, (p, q) => (double)p * q).Sum();
            Assert.True(Math.Abs(dot - Gpu.Dot(Upload(Gpu, a), Upload(Gpu, b))) <= 1e-5 * Math.Max(1, Math.Abs(dot)), $"dot at length {n}");
            Assert.Equal(a.Sum(v => (double)v * v), Gpu.MapSum(new MulOp(), Upload(Gpu, a), Upload(Gpu, a)), 1e-4);
        }
    }

    [Fact]
    public void DrawsAreTheCpuBackendsValuesExactly()
    {
        const int n = 10_001;
        float[] Draw(ICompute backend, Action<ICompute, DeviceSpan<float>> fill)
        {
            var buffer = backend.Allocate<float>(n);
            fill(backend, buffer.All);
            return Download(backend, buffer.All);
        }
        foreach (var fill in new Action<ICompute, DeviceSpan<float>>[]
        {
            (b, y) => b.Uniform(y, -1f, 3f, 42),
            (b, y) => b.Gaussian(y, 2f, 0.5f, 7),
            (b, y) => b.Bernoulli(y, 0.3, 2f, 99, offset: 500),
            (b, y) => { b.Uniform(y, -1f, 3f, 5); b.MultiplyBernoulli(y, 0.3, 2f, 99, 500, y); },
        })
            Assert.Equal(Draw(CpuCompute.Instance, fill), Draw(Gpu, fill));
    }

    [Fact]
    public void SumsRepeatExactlyAndAgreeWithTheCpu()
    {
        var x = Reference.Random(100_003, 5);
        var y = Reference.Random(100_003, 6);
        var dx = Upload(Gpu, x);
        var dy = Upload(Gpu, y);
        float dot = Gpu.Dot(dx, dy);
        Assert.Equal(dot, Gpu.Dot(dx, dy));
        Assert.Equal(x.Zip(y, (a, b) => (double)a * b).Sum(), dot, 2);
        Assert.Equal(x.Sum(v => (double)Math.Abs(v)), Gpu.Asum(dx), 1);
        Assert.Equal(x.Sum(v => (double)v * v), Gpu.SumSquares(dx), 1);
    }

    public static TheoryData<string> OperatorTypes => new(typeof(ICompute).Assembly.GetTypes()
        .Where(t => t.IsValueType && t.GetInterfaces().Any(i => i == typeof(IUnaryOperator) || i == typeof(IBinaryOperator) || i == typeof(ITernaryOperator) || i == typeof(IUpdateRule)))
        .Select(t => t.FullName!).Order());

    /// <summary>
    /// An operator struct that ILGPU cannot compile (a bool or nullable field, a call that throws)
    /// would fail only when some layer first used it on a GPU; each is compiled and run here.
    /// </summary>
    [Theory]
    [MemberData(nameof(OperatorTypes))]
    public void EveryOperatorStructRunsAsAGpuKernel(string typeName)
    {
        var type = typeof(ICompute).Assembly.GetType(typeName)!;
        object op = Activator.CreateInstance(type)!;
        var spans = Enumerable.Range(0, 4).Select(i => Upload(Gpu, [0.25f + i, -0.5f, 1f])).ToArray();
        var interfaces = type.GetInterfaces();
        string method = interfaces.Contains(typeof(IUpdateRule)) ? nameof(ICompute.SolverUpdate) : nameof(ICompute.Map);
        int operands = interfaces.Contains(typeof(IUpdateRule)) ? 3 : interfaces.Contains(typeof(ITernaryOperator)) ? 4 : interfaces.Contains(typeof(IBinaryOperator)) ? 3 : 2;
        var generic = typeof(GpuCompute).GetMethods().Single(m => m.Name == method && m.GetParameters().Length == operands + 1 &&
            m.GetGenericArguments()[0].GetGenericParameterConstraints().Any(c => interfaces.Contains(c)));
        generic.MakeGenericMethod(type).Invoke(Gpu, [op, .. spans.Take(operands).Cast<object>()]);
        Assert.Equal(3, Download(Gpu, spans[operands - 1]).Length);
    }

    [Fact]
    public void ATrainedSnapshotScoresTheSameOnTheEmulatedDeviceAsOnTheCpu()
    {
        using var dir = new TempDir();
        var (train, validation) = NumbersDataset.Write(dir.Path, trainPerClass: 20, validationPerClass: 6);
        string net = File.ReadAllText(Path.Combine(RepoPaths.Root, "examples/fneishnet_numbers/train_val_fixed.prototxt"))
            .Replace("examples/fneishnet_numbers/fneishnet_numbers_train_lmdb", train)
            .Replace("examples/fneishnet_numbers/fneishnet_numbers_val_lmdb", validation);
        File.WriteAllText(dir.File("net.prototxt"), net);
        File.WriteAllText(dir.File("solver.prototxt"), $"net: \"{dir.File("net.prototxt")}\" base_lr: 0.01 momentum: 0.9 lr_policy: \"fixed\" " +
            $"max_iter: 12 display: 0 random_seed: 3 snapshot_prefix: \"{dir.File("seed")}\"");
        Assert.Equal(0, CommandLine.Run(["train", "--solver", dir.File("solver.prototxt")], new StringWriter(), new StringWriter()));

        (double Loss, double Accuracy) Score(params string[] extra)
        {
            var error = new StringWriter();
            int code = CommandLine.Run(["test", "--model", dir.File("net.prototxt"), "--weights", dir.File("seed_iter_12.caffemodel"), "--iterations", "2", .. extra], new StringWriter(), error);
            Assert.True(code == 0, error.ToString());
            string log = error.ToString();
            double Read(string pattern) => double.Parse(Regex.Match(log, pattern, RegexOptions.Multiline).Groups[1].Value, CultureInfo.InvariantCulture);
            return (Read(@"\] Loss: (\S+)$"), Read(@"\] accuracy = (\S+)$"));
        }
        var cpu = Score();
        var gpu = Score("--backend", "emulated");
        Assert.InRange(cpu.Accuracy, 0.0, 1.0);
        Assert.Equal(cpu.Loss, gpu.Loss, 1e-4);
        Assert.Equal(cpu.Accuracy, gpu.Accuracy, 1e-4);
    }
}
