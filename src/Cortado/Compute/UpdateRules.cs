using System.Numerics;

namespace Cortado.Compute;

// Caffe's six update rules, one element at a time; g becomes the step subtracted from the weight.

/// <summary>SGD with momentum: h = momentum h + rate g; step = h.</summary>
public readonly struct SgdRule(float rate, float momentum) : IUpdateRule
{
    public static bool Vectorized => true;
    public static int Histories => 1;
    public void Invoke(ref float g, ref float h, ref float h2) { h = rate * g + momentum * h; g = h; }
    public void Invoke(ref Vector<float> g, ref Vector<float> h, ref Vector<float> h2) { h = g * rate + h * momentum; g = h; }
}

/// <summary>Nesterov: h' = momentum h + rate g; step = (1 + momentum) h' - momentum h.</summary>
public readonly struct NesterovRule(float rate, float momentum) : IUpdateRule
{
    public static bool Vectorized => true;
    public static int Histories => 1;
    public void Invoke(ref float g, ref float h, ref float h2)
    {
        float previous = h;
        h = rate * g + momentum * h;
        g = (1f + momentum) * h - momentum * previous;
    }
    public void Invoke(ref Vector<float> g, ref Vector<float> h, ref Vector<float> h2)
    {
        var previous = h;
        h = g * rate + h * momentum;
        g = h * (1f + momentum) - previous * momentum;
    }
}

/// <summary>AdaGrad: h += g^2; step = rate g / (sqrt(h) + delta).</summary>
public readonly struct AdaGradRule(float rate, float delta) : IUpdateRule
{
    public static bool Vectorized => true;
    public static int Histories => 1;
    public void Invoke(ref float g, ref float h, ref float h2) { h += g * g; g = rate * g / (MathF.Sqrt(h) + delta); }
    public void Invoke(ref Vector<float> g, ref Vector<float> h, ref Vector<float> h2)
    {
        h += g * g;
        g = g * rate / (Vector.SquareRoot(h) + new Vector<float>(delta));
    }
}

/// <summary>RMSProp: h = decay h + (1 - decay) g^2; step = rate g / (sqrt(h) + delta).</summary>
public readonly struct RmsPropRule(float rate, float decay, float delta) : IUpdateRule
{
    public static bool Vectorized => true;
    public static int Histories => 1;
    public void Invoke(ref float g, ref float h, ref float h2) { h = decay * h + (1f - decay) * g * g; g = rate * g / (MathF.Sqrt(h) + delta); }
    public void Invoke(ref Vector<float> g, ref Vector<float> h, ref Vector<float> h2)
    {
        h = h * decay + g * g * (1f - decay);
        g = g * rate / (Vector.SquareRoot(h) + new Vector<float>(delta));
    }
}

/// <summary>AdaDelta (rho = momentum): h = rho h + (1 - rho) g^2; u = g sqrt((h2 + delta) / (h + delta)); h2 = rho h2 + (1 - rho) u^2; step = rate u.</summary>
public readonly struct AdaDeltaRule(float rate, float rho, float delta) : IUpdateRule
{
    public static bool Vectorized => true;
    public static int Histories => 2;
    public void Invoke(ref float g, ref float h, ref float h2)
    {
        h = rho * h + (1f - rho) * g * g;
        float update = g * MathF.Sqrt((h2 + delta) / (h + delta));
        h2 = rho * h2 + (1f - rho) * update * update;
        g = rate * update;
    }
    public void Invoke(ref Vector<float> g, ref Vector<float> h, ref Vector<float> h2)
    {
        var d = new Vector<float>(delta);
        h = h * rho + g * g * (1f - rho);
        var update = g * Vector.SquareRoot((h2 + d) / (h + d));
        h2 = h2 * rho + update * update * (1f - rho);
        g = update * rate;
    }
}

/// <summary>Adam: m = b1 m + (1 - b1) g; v = b2 v + (1 - b2) g^2; step = rate m / (sqrt(v) + eps), the bias correction folded into rate.</summary>
public readonly struct AdamRule(float rate, float beta1, float beta2, float epsilon) : IUpdateRule
{
    public static bool Vectorized => true;
    public static int Histories => 2;
    public void Invoke(ref float g, ref float m, ref float v)
    {
        m = beta1 * m + (1f - beta1) * g;
        v = beta2 * v + (1f - beta2) * g * g;
        g = rate * m / (MathF.Sqrt(v) + epsilon);
    }
    public void Invoke(ref Vector<float> g, ref Vector<float> m, ref Vector<float> v)
    {
        m = m * beta1 + g * (1f - beta1);
        v = v * beta2 + g * g * (1f - beta2);
        g = m * rate / (Vector.SquareRoot(v) + new Vector<float>(epsilon));
    }
}
