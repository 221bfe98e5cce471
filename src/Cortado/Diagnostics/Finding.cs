namespace Cortado.Diagnostics;

public enum Severity { Info, Warning, Error }

/// <summary>
/// One thing diagnosis found: how serious it is, the numbers measured on this net and data, a
/// plain explanation, and a concrete fix as a prototxt change. Lower <see cref="Rank"/> comes first
/// among findings of the same severity (the most likely cause first).
/// </summary>
public sealed record Finding(Severity Severity, string Code, string Title, string Evidence, string Explanation, string? Fix = null, int Rank = 100);
