using System.Numerics;

namespace Cortado.Compute;

// Operator structs for the elementwise driver, in TensorPrimitives' style: a scalar form, a
// vector form where one exists, and whether to use it. Being structs, they are inlined into the
// one driver loop per backend; a GPU backend compiles the same structs into its kernels.

public interface IUnaryOperator
{
    static abstract bool Vectorized { get; }
    float Invoke(float x);
    Vector<float> Invoke(Vector<float> x);
}

public interface IBinaryOperator
{
    static abstract bool Vectorized { get; }
    float Invoke(float a, float b);
    Vector<float> Invoke(Vector<float> a, Vector<float> b);
}

public interface ITernaryOperator
{
    static abstract bool Vectorized { get; }
    float Invoke(float a, float b, float c);
    Vector<float> Invoke(Vector<float> a, Vector<float> b, Vector<float> c);
}

/// <summary>
/// One solver's per-element update: from the gradient g and up to two history values, the new
/// histories and the step (written over g) that is then subtracted from the weight.
/// </summary>
public interface IUpdateRule
{
    static abstract bool Vectorized { get; }
    /// <summary>How many history arrays the rule reads and writes (0, 1 or 2).</summary>
    static abstract int Histories { get; }
    void Invoke(ref float g, ref float h, ref float h2);
    void Invoke(ref Vector<float> g, ref Vector<float> h, ref Vector<float> h2);
}
