using Cortado.Compute;

namespace Cortado.Tests.Compute;

/// <summary>Every vector kernel on every length from 0 to 300, so SIMD remainders are covered.</summary>
public class VectorKernelTests
{
    private static readonly int[] Lengths = Enumerable.Range(0, 301).ToArray();

    private static void Near(double expected, float actual, double relative = 1e-5)
    {
        double tolerance = relative * Math.Max(1, Math.Abs(expected));
        Assert.True(Math.Abs(expected - actual) <= tolerance, $"expected {expected}, got {actual}");
    }

    [Fact]
    public void AxpyAxpbyScal()
    {
        foreach (int n in Lengths)
        {
            var x = Reference.Random(n, n);
            var y = Reference.Random(n, n + 1000);
            var y1 = (float[])y.Clone(); Blas.Axpy(0.75f, x, y1);
            var y2 = (float[])y.Clone(); Blas.Axpby(0.75f, x, -2f, y2);
            var y3 = (float[])y.Clone(); Blas.Scal(-0.5f, y3);
            for (int i = 0; i < n; i++)
            {
                Near(0.75 * x[i] + y[i], y1[i]);
                Near(0.75 * x[i] - 2.0 * y[i], y2[i]);
                Assert.Equal(-0.5f * y[i], y3[i]);
            }
        }
    }

    [Fact]
    public void DotAndAsum()
    {
        foreach (int n in Lengths)
        {
            var x = Reference.Random(n, n);
            var y = Reference.Random(n, n + 7);
            double dot = 0, asum = 0, magnitude = 0;
            for (int i = 0; i < n; i++) { dot += (double)x[i] * y[i]; asum += Math.Abs(x[i]); magnitude += Math.Abs((double)x[i] * y[i]); }
            Assert.True(Math.Abs(Blas.Dot(x, y) - dot) <= 1e-5 * magnitude + 1e-7);
            Near(asum, Blas.Asum(x));
        }
    }

    [Fact]
    public void ElementwiseArithmetic()
    {
        foreach (int n in Lengths)
        {
            var a = Reference.Random(n, n);
            var b = Reference.Random(n, n + 3).Select(v => v + 2f).ToArray(); // away from 0 for division
            var y = new float[n];
            Elementwise.Add(a, b, y); for (int i = 0; i < n; i++) Assert.Equal(a[i] + b[i], y[i]);
            OperatorDriver.Map(new SubOp(), a, b, y); for (int i = 0; i < n; i++) Assert.Equal(a[i] - b[i], y[i]);
            OperatorDriver.Map(new MulOp(), a, b, y); for (int i = 0; i < n; i++) Assert.Equal(a[i] * b[i], y[i]);
            OperatorDriver.Map(new DivOp(), a, b, y); for (int i = 0; i < n; i++) Near(a[i] / b[i], y[i]);
            OperatorDriver.Map(new MaxOp(), a, b, y); for (int i = 0; i < n; i++) Assert.Equal(Math.Max(a[i], b[i]), y[i]);
            Elementwise.AddScalar(a, 3f, y); for (int i = 0; i < n; i++) Assert.Equal(a[i] + 3f, y[i]);
            OperatorDriver.Map(new AffineOp(-2f, 0f), a, y); for (int i = 0; i < n; i++) Assert.Equal(-2f * a[i], y[i]);
            OperatorDriver.Map(new SquareOp(), a, y); for (int i = 0; i < n; i++) Assert.Equal(a[i] * a[i], y[i]);
            OperatorDriver.Map(new AbsOp(), a, y); for (int i = 0; i < n; i++) Assert.Equal(Math.Abs(a[i]), y[i]);
            OperatorDriver.Map(new AddSignOp(1f), new float[n], a, y); for (int i = 0; i < n; i++) Assert.Equal(Math.Sign(a[i]), y[i]);
        }
    }

    [Fact]
    public void ElementwiseTranscendentals()
    {
        foreach (int n in Lengths)
        {
            var a = Reference.Random(n, n, 3f);
            var positive = a.Select(v => Math.Abs(v) + 0.01f).ToArray();
            var y = new float[n];
            OperatorDriver.Map(new ExpOp(1f, 1f), a, y); for (int i = 0; i < n; i++) Near(Math.Exp(a[i]), y[i]);
            OperatorDriver.Map(new LogOp(1f, 0f, 1f), positive, y); for (int i = 0; i < n; i++) Near(Math.Log(positive[i]), y[i], 1e-5);
            OperatorDriver.Map(new SqrtOp(0f), positive, y); for (int i = 0; i < n; i++) Near(Math.Sqrt(positive[i]), y[i]);
            OperatorDriver.Map(new PowerOp(0.75f, 1f, 0f), positive, y); for (int i = 0; i < n; i++) Near(Math.Pow(positive[i], 0.75), y[i]);
            OperatorDriver.Map(new SigmoidOp(), a, y); for (int i = 0; i < n; i++) Near(1 / (1 + Math.Exp(-a[i])), y[i]);
        }
    }

    [Fact]
    public void OutputMayAliasInput()
    {
        var a = new float[] { 1, 2, 3 };
        Elementwise.Add(a, a, a);
        Assert.Equal([2f, 4f, 6f], a);
    }

    [Fact]
    public void MismatchedLengthsAreRejected()
    {
        Assert.Throws<ArgumentException>(() => Blas.Axpy(1f, new float[3], new float[4]));
        Assert.Throws<ArgumentException>(() => Elementwise.Add(new float[3], new float[3], new float[2]));
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(7, 33)]
    [InlineData(128, 300)]
    [InlineData(300, 5)]
    [InlineData(130, 1001)]   // four rows at a time, two left over, and a tail of one
    public void GemvBothWays(int m, int n)
    {
        var a = Reference.Random(m * n, 1);
        var x = Reference.Random(Math.Max(m, n), 2);
        var y = Reference.Random(Math.Max(m, n), 3);
        var plain = (float[])y.Clone();
        Blas.Gemv(Transpose.No, m, n, 2f, a, x, 0.5f, plain);
        for (int i = 0; i < m; i++)
        {
            double sum = 0;
            for (int j = 0; j < n; j++) sum += (double)a[i * n + j] * x[j];
            Near(2 * sum + 0.5 * y[i], plain[i], 1e-4);
        }
        var transposed = (float[])y.Clone();
        Blas.Gemv(Transpose.Yes, m, n, 1f, a, x, 0f, transposed);
        for (int j = 0; j < n; j++)
        {
            double sum = 0;
            for (int i = 0; i < m; i++) sum += (double)a[i * n + j] * x[i];
            Near(sum, transposed[j], 1e-4);
        }
    }
}
