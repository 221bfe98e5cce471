namespace Cortado.Monitoring;

/// <summary>
/// How much of a <see cref="RunHistory"/> a reader has seen: counts of the append-only series and
/// the versions of the parts that change in place. <c>default</c> means nothing seen yet.
/// </summary>
public readonly record struct RunCursor(int Points, int Tests, int Samples, int FindingsVersion, int StateVersion);

/// <summary>What a run gained since a cursor; findings and state come whole when they changed.</summary>
public sealed record RunDelta(
    RunCursor Cursor,
    IReadOnlyList<TrainPoint> Points,
    IReadOnlyList<TestPoint> Tests,
    IReadOnlyList<LayerSample> Samples,
    IReadOnlyList<LiveFinding>? Findings,
    RunState? State,
    string? StateDetail)
{
    public bool IsEmpty => Points.Count == 0 && Tests.Count == 0 && Samples.Count == 0 && Findings == null && State == null;
}
