using System.Numerics;

namespace Cortado.Compute;

// Elementwise operators of the less common layers (Clip, Swish, ContrastiveLoss,
// MultinomialLogisticLoss, Reduction), each with the formula of its Caffe layer.

/// <summary>y = min(max(x, min), max).</summary>
public readonly struct ClipOp(float min, float max) : IUnaryOperator
{
    public static bool Vectorized => true;
    public float Invoke(float x) => MathF.Min(MathF.Max(x, min), max);
    public Vector<float> Invoke(Vector<float> x) => Vector.Min(Vector.Max(x, new Vector<float>(min)), new Vector<float>(max));
}

/// <summary>dx = dy where min &lt;= x &lt;= max, else 0 (Caffe's Clip passes the gradient at the bounds).</summary>
public readonly struct ClipGradientOp(float min, float max) : IBinaryOperator
{
    public static bool Vectorized => false;
    public float Invoke(float x, float dy) => x >= min && x <= max ? dy : 0f;
    public Vector<float> Invoke(Vector<float> x, Vector<float> dy) => throw new NotSupportedException();
}

/// <summary>y = x sigmoid(beta x).</summary>
public readonly struct SwishOp(float beta) : IUnaryOperator
{
    public static bool Vectorized => false;
    public float Invoke(float x) => x / (1f + MathF.Exp(-beta * x));
    public Vector<float> Invoke(Vector<float> x) => throw new NotSupportedException();
}

/// <summary>dx = dy (beta y + s (1 - beta y)) with s = sigmoid(beta x), as Caffe's Swish writes it.</summary>
public readonly struct SwishGradientOp(float beta) : ITernaryOperator
{
    public static bool Vectorized => false;
    public float Invoke(float x, float y, float dy)
    {
        float s = 1f / (1f + MathF.Exp(-beta * x));
        return dy * (beta * y + s * (1f - beta * y));
    }
    public Vector<float> Invoke(Vector<float> x, Vector<float> y, Vector<float> dy) => throw new NotSupportedException();
}

/// <summary>
/// One pair's contrastive term from its squared distance d and similarity label: d when similar,
/// else max(margin - sqrt(d), 0)^2 (or max(margin - d, 0) in the legacy version).
/// </summary>
public readonly struct ContrastiveTermOp(float margin, bool legacy) : IBinaryOperator
{
    // An int, not the bool: a GPU kernel's parameters cannot hold a bool.
    private readonly int _legacy = legacy ? 1 : 0;
    public static bool Vectorized => false;
    public float Invoke(float d, float similar)
    {
        if ((int)similar != 0) return d;
        if (_legacy != 0) return MathF.Max(margin - d, 0f);
        float gap = MathF.Max(margin - MathF.Sqrt(d), 0f);
        return gap * gap;
    }
    public Vector<float> Invoke(Vector<float> d, Vector<float> similar) => throw new NotSupportedException();
}

/// <summary>
/// The factor of (a - b) in one pair's gradient: alpha when similar; for a dissimilar pair inside the
/// margin, -alpha (legacy) or -alpha (margin - dist) / (dist + 1e-4); else 0. alpha = ±top_diff / N.
/// </summary>
public readonly struct ContrastiveFactorOp(float margin, bool legacy, float alpha) : IBinaryOperator
{
    // An int, not the bool: a GPU kernel's parameters cannot hold a bool.
    private readonly int _legacy = legacy ? 1 : 0;
    public static bool Vectorized => false;
    public float Invoke(float d, float similar)
    {
        if ((int)similar != 0) return alpha;
        if (_legacy != 0) return margin - d > 0f ? -alpha : 0f;
        float dist = MathF.Sqrt(d), gap = margin - dist;
        return gap > 0f ? -alpha * gap / (dist + 1e-4f) : 0f;
    }
    public Vector<float> Invoke(Vector<float> d, Vector<float> similar) => throw new NotSupportedException();
}

/// <summary>-log(max(p, threshold)) where the one-hot mark is set, else 0.</summary>
public readonly struct MarkedNegativeLogOp(float threshold) : IBinaryOperator
{
    public static bool Vectorized => false;
    public float Invoke(float mark, float p) => mark != 0f ? -MathF.Log(MathF.Max(p, threshold)) : 0f;
    public Vector<float> Invoke(Vector<float> mark, Vector<float> p) => throw new NotSupportedException();
}

/// <summary>g / max(p, threshold).</summary>
public readonly struct DivideByClampedOp(float threshold) : IBinaryOperator
{
    public static bool Vectorized => true;
    public float Invoke(float g, float p) => g / MathF.Max(p, threshold);
    public Vector<float> Invoke(Vector<float> g, Vector<float> p) => g / Vector.Max(p, new Vector<float>(threshold));
}

/// <summary>sign(x): 1, -1 or 0 (caffe_cpu_sign).</summary>
public readonly struct SignOp : IUnaryOperator
{
    public static bool Vectorized => false;
    public float Invoke(float x) => x > 0f ? 1f : x < 0f ? -1f : 0f;
    public Vector<float> Invoke(Vector<float> x) => throw new NotSupportedException();
}

/// <summary>a - b^2: a variance from the mean of squares and the mean.</summary>
public readonly struct SubtractSquareOp : IBinaryOperator
{
    public static bool Vectorized => true;
    public float Invoke(float a, float b) => a - b * b;
    public Vector<float> Invoke(Vector<float> a, Vector<float> b) => a - b * b;
}

/// <summary>scale * b, ignoring a: broadcasts a per-row value over a row (Reduction's gradient).</summary>
public readonly struct ScaledSecondOp(float scale) : IBinaryOperator
{
    public static bool Vectorized => true;
    public float Invoke(float a, float b) => scale * b;
    public Vector<float> Invoke(Vector<float> a, Vector<float> b) => b * scale;
}

/// <summary>-h log(max(p, threshold)): one class's term of the infogain loss.</summary>
public readonly struct WeightedNegativeLogOp(float threshold) : IBinaryOperator
{
    public static bool Vectorized => false;
    public float Invoke(float h, float p) => -h * MathF.Log(MathF.Max(p, threshold));
    public Vector<float> Invoke(Vector<float> h, Vector<float> p) => throw new NotSupportedException();
}

/// <summary>p s - h: the infogain loss's gradient on the logits, s being the label's row sum of H.</summary>
public readonly struct InfogainGradientOp : ITernaryOperator
{
    public static bool Vectorized => true;
    public float Invoke(float p, float s, float h) => p * s - h;
    public Vector<float> Invoke(Vector<float> p, Vector<float> s, Vector<float> h) => p * s - h;
}
