namespace Cortado.Compute;

/// <summary>Whether a GEMM operand is used as stored or transposed (CblasNoTrans / CblasTrans).</summary>
public enum Transpose { No, Yes }
