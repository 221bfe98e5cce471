using System.Numerics;

namespace Cortado.Compute;

// The elementwise operators the layers use: forward maps of x, and gradients from (x or y, dy).

public readonly struct AddOp : IBinaryOperator
{
    public static bool Vectorized => true;
    public float Invoke(float a, float b) => a + b;
    public Vector<float> Invoke(Vector<float> a, Vector<float> b) => a + b;
}

public readonly struct SubOp : IBinaryOperator
{
    public static bool Vectorized => true;
    public float Invoke(float a, float b) => a - b;
    public Vector<float> Invoke(Vector<float> a, Vector<float> b) => a - b;
}

public readonly struct MulOp : IBinaryOperator
{
    public static bool Vectorized => true;
    public float Invoke(float a, float b) => a * b;
    public Vector<float> Invoke(Vector<float> a, Vector<float> b) => a * b;
}

public readonly struct DivOp : IBinaryOperator
{
    public static bool Vectorized => true;
    public float Invoke(float a, float b) => a / b;
    public Vector<float> Invoke(Vector<float> a, Vector<float> b) => a / b;
}

public readonly struct MaxOp : IBinaryOperator
{
    public static bool Vectorized => true;
    public float Invoke(float a, float b) => MathF.Max(a, b);
    public Vector<float> Invoke(Vector<float> a, Vector<float> b) => Vector.Max(a, b);
}

/// <summary>y = scale * x + shift.</summary>
public readonly struct AffineOp(float scale, float shift) : IUnaryOperator
{
    public static bool Vectorized => true;
    public float Invoke(float x) => scale * x + shift;
    public Vector<float> Invoke(Vector<float> x) => x * scale + new Vector<float>(shift);
}

/// <summary>y = a + factor * b: the sum of a and a scaled b (Eltwise SUM with coefficients).</summary>
public readonly struct AddScaledOp(float factor) : IBinaryOperator
{
    public static bool Vectorized => true;
    public float Invoke(float a, float b) => a + factor * b;
    public Vector<float> Invoke(Vector<float> a, Vector<float> b) => a + b * factor;
}

/// <summary>diff + decay * sign(weight): L1 regularisation's gradient added to a diff.</summary>
public readonly struct AddSignOp(float decay) : IBinaryOperator
{
    public static bool Vectorized => false;
    // Written out rather than MathF.Sign, which throws on NaN (and so cannot be compiled into a GPU kernel).
    public float Invoke(float diff, float weight) => diff + decay * (weight > 0f ? 1f : weight < 0f ? -1f : 0f);
    public Vector<float> Invoke(Vector<float> a, Vector<float> b) => throw new NotSupportedException();
}

public readonly struct SigmoidOp : IUnaryOperator
{
    public static bool Vectorized => true;
    public float Invoke(float x) => 1f / (1f + MathF.Exp(-x));
    public Vector<float> Invoke(Vector<float> x) => Vector<float>.One / (Vector<float>.One + Vector.Exp(-x));
}

/// <summary>dx = dy y (1 - y), from the sigmoid's output.</summary>
public readonly struct SigmoidGradientOp : IBinaryOperator
{
    public static bool Vectorized => true;
    public float Invoke(float y, float dy) => dy * y * (1f - y);
    public Vector<float> Invoke(Vector<float> y, Vector<float> dy) => dy * y * (Vector<float>.One - y);
}

public readonly struct TanhOp : IUnaryOperator
{
    public static bool Vectorized => false;
    public float Invoke(float x) => MathF.Tanh(x);
    public Vector<float> Invoke(Vector<float> x) => throw new NotSupportedException();
}

/// <summary>dx = dy (1 - y^2), from tanh's output.</summary>
public readonly struct TanhGradientOp : IBinaryOperator
{
    public static bool Vectorized => true;
    public float Invoke(float y, float dy) => dy * (1f - y * y);
    public Vector<float> Invoke(Vector<float> y, Vector<float> dy) => dy * (Vector<float>.One - y * y);
}

public readonly struct AbsOp : IUnaryOperator
{
    public static bool Vectorized => true;
    public float Invoke(float x) => MathF.Abs(x);
    public Vector<float> Invoke(Vector<float> x) => Vector.Abs(x);
}

/// <summary>dx = sign(x) dy.</summary>
public readonly struct AbsGradientOp : IBinaryOperator
{
    public static bool Vectorized => false;
    public float Invoke(float x, float dy) => (x > 0f ? 1f : x < 0f ? -1f : 0f) * dy; // not MathF.Sign, which throws on NaN
    public Vector<float> Invoke(Vector<float> x, Vector<float> dy) => throw new NotSupportedException();
}

/// <summary>y = log(1 + exp(x)), written to stay finite for large |x|.</summary>
public readonly struct BnllOp : IUnaryOperator
{
    public static bool Vectorized => false;
    public float Invoke(float x) => x > 0f ? x + MathF.Log(1f + MathF.Exp(-x)) : MathF.Log(1f + MathF.Exp(x));
    public Vector<float> Invoke(Vector<float> x) => throw new NotSupportedException();
}

/// <summary>dx = dy sigmoid(x).</summary>
public readonly struct BnllGradientOp : IBinaryOperator
{
    public static bool Vectorized => false;
    public float Invoke(float x, float dy) => dy / (1f + MathF.Exp(-x));
    public Vector<float> Invoke(Vector<float> x, Vector<float> dy) => throw new NotSupportedException();
}

/// <summary>y = outputScale exp(inputScale x): Caffe's base^(shift + scale x) with the constants folded.</summary>
public readonly struct ExpOp(float inputScale, float outputScale) : IUnaryOperator
{
    public static bool Vectorized => false;
    public float Invoke(float x) => outputScale * MathF.Exp(inputScale * x);
    public Vector<float> Invoke(Vector<float> x) => throw new NotSupportedException();
}

/// <summary>dx = dy y inputScale, from Exp's output.</summary>
public readonly struct ExpGradientOp(float inputScale) : IBinaryOperator
{
    public static bool Vectorized => true;
    public float Invoke(float y, float dy) => dy * y * inputScale;
    public Vector<float> Invoke(Vector<float> y, Vector<float> dy) => dy * y * inputScale;
}

/// <summary>y = log(shift + scale x) baseScale, baseScale being 1 / ln(base).</summary>
public readonly struct LogOp(float scale, float shift, float baseScale) : IUnaryOperator
{
    public static bool Vectorized => false;
    public float Invoke(float x) => MathF.Log(shift + scale * x) * baseScale;
    public Vector<float> Invoke(Vector<float> x) => throw new NotSupportedException();
}

public readonly struct LogGradientOp(float scale, float shift, float baseScale) : IBinaryOperator
{
    public static bool Vectorized => true;
    public float Invoke(float x, float dy) => dy * scale * baseScale / (shift + scale * x);
    public Vector<float> Invoke(Vector<float> x, Vector<float> dy) => dy * (scale * baseScale) / (new Vector<float>(shift) + x * scale);
}

/// <summary>y = (shift + scale x)^power.</summary>
public readonly struct PowerOp(float power, float scale, float shift) : IUnaryOperator
{
    public static bool Vectorized => false;
    public float Invoke(float x) => MathF.Pow(shift + scale * x, power);
    public Vector<float> Invoke(Vector<float> x) => throw new NotSupportedException();
}

public readonly struct PowerGradientOp(float power, float scale, float shift) : IBinaryOperator
{
    public static bool Vectorized => false;
    public float Invoke(float x, float dy) => power == 0f || scale == 0f ? 0f : dy * power * scale * MathF.Pow(shift + scale * x, power - 1f);
    public Vector<float> Invoke(Vector<float> x, Vector<float> dy) => throw new NotSupportedException();
}

/// <summary>y = x &gt; threshold ? 1 : 0.</summary>
public readonly struct ThresholdOp(float threshold) : IUnaryOperator
{
    public static bool Vectorized => false;
    public float Invoke(float x) => x > threshold ? 1f : 0f;
    public Vector<float> Invoke(Vector<float> x) => throw new NotSupportedException();
}

/// <summary>y = x &gt; 0 ? x : alpha (exp(x) - 1).</summary>
public readonly struct EluOp(float alpha) : IUnaryOperator
{
    public static bool Vectorized => false;
    public float Invoke(float x) => x > 0f ? x : alpha * (MathF.Exp(x) - 1f);
    public Vector<float> Invoke(Vector<float> x) => throw new NotSupportedException();
}

/// <summary>dx = x &gt; 0 ? dy : dy (y + alpha).</summary>
public readonly struct EluGradientOp(float alpha) : ITernaryOperator
{
    public static bool Vectorized => false;
    public float Invoke(float x, float y, float dy) => x > 0f ? dy : dy * (y + alpha);
    public Vector<float> Invoke(Vector<float> x, Vector<float> y, Vector<float> dy) => throw new NotSupportedException();
}

/// <summary>y = x &gt; 0 ? x : slope x, with the slope per channel (PReLU).</summary>
public readonly struct LeakyOp : IBinaryOperator
{
    public static bool Vectorized => false;
    public float Invoke(float x, float slope) => x > 0f ? x : slope * x;
    public Vector<float> Invoke(Vector<float> x, Vector<float> slope) => throw new NotSupportedException();
}

/// <summary>x where x &lt;= 0, else 0: what a PReLU slope multiplies.</summary>
public readonly struct NegativePartOp : IUnaryOperator
{
    public static bool Vectorized => true;
    public float Invoke(float x) => x > 0f ? 0f : x;
    public Vector<float> Invoke(Vector<float> x) => Vector.Min(x, Vector<float>.Zero);
}

/// <summary>y = x * x.</summary>
public readonly struct SquareOp : IUnaryOperator
{
    public static bool Vectorized => true;
    public float Invoke(float x) => x * x;
    public Vector<float> Invoke(Vector<float> x) => x * x;
}

/// <summary>1 where x &gt; 0, else the channel's slope: PReLU's dy/dx.</summary>
public readonly struct LeakyFactorOp : IBinaryOperator
{
    public static bool Vectorized => false;
    public float Invoke(float x, float slope) => x > 0f ? 1f : slope;
    public Vector<float> Invoke(Vector<float> x, Vector<float> slope) => throw new NotSupportedException();
}

/// <summary>y = sqrt(x + shift): a standard deviation from a variance and epsilon.</summary>
public readonly struct SqrtOp(float shift) : IUnaryOperator
{
    public static bool Vectorized => true;
    public float Invoke(float x) => MathF.Sqrt(x + shift);
    public Vector<float> Invoke(Vector<float> x) => Vector.SquareRoot(x + new Vector<float>(shift));
}

/// <summary>
/// Sigmoid cross-entropy of a logit x against a target t, written to stay finite:
/// -(x (t - [x &gt;= 0]) - log(1 + exp(x - 2 x [x &gt;= 0]))); 0 where t is the ignore label.
/// </summary>
public readonly struct SigmoidCrossEntropyOp(int? ignore) : IBinaryOperator
{
    // The ignore label as two ints, not an int?: a GPU kernel's parameters cannot hold a bool.
    private readonly int _hasIgnore = ignore.HasValue ? 1 : 0, _ignore = ignore ?? 0;
    public static bool Vectorized => false;
    public float Invoke(float x, float t)
    {
        if (_hasIgnore != 0 && (int)t == _ignore) return 0f;
        float positive = x >= 0f ? 1f : 0f;
        return -(x * (t - positive) - MathF.Log(1f + MathF.Exp(x - 2f * x * positive)));
    }
    public Vector<float> Invoke(Vector<float> a, Vector<float> b) => throw new NotSupportedException();
}

/// <summary>dx = scale (sigmoid(x) - t), 0 where t is the ignore label.</summary>
public readonly struct SigmoidCrossEntropyGradientOp(int? ignore, float scale) : IBinaryOperator
{
    // The ignore label as two ints, not an int?: a GPU kernel's parameters cannot hold a bool.
    private readonly int _hasIgnore = ignore.HasValue ? 1 : 0, _ignore = ignore ?? 0;
    public static bool Vectorized => false;
    public float Invoke(float x, float t) => _hasIgnore != 0 && (int)t == _ignore ? 0f : (1f / (1f + MathF.Exp(-x)) - t) * scale;
    public Vector<float> Invoke(Vector<float> a, Vector<float> b) => throw new NotSupportedException();
}

/// <summary>1 where the label b is not the ignore label, else 0 (a is unused): summed, the count of labels that count.</summary>
public readonly struct CountedLabelOp(int? ignore) : IBinaryOperator
{
    // The ignore label as two ints, not an int?: a GPU kernel's parameters cannot hold a bool.
    private readonly int _hasIgnore = ignore.HasValue ? 1 : 0, _ignore = ignore ?? 0;
    public static bool Vectorized => false;
    public float Invoke(float a, float label) => _hasIgnore != 0 && (int)label == _ignore ? 0f : 1f;
    public Vector<float> Invoke(Vector<float> a, Vector<float> b) => throw new NotSupportedException();
}
