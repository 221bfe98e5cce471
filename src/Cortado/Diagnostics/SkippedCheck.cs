namespace Cortado.Diagnostics;

/// <summary>A check diagnosis could not run, and why (most often: the data it reads is missing).</summary>
public sealed record SkippedCheck(string Check, string Reason);
