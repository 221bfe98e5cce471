using Cortado.Diagnostics;
using Cortado.Monitoring;

namespace Cortado.Tests.Monitoring;

public class RunHistoryTests
{
    [Fact]
    public void AReaderGetsEachPointOnceFromItsCursor()
    {
        var run = new RunHistory("r");
        for (int i = 0; i < 5; i++) run.AddPoint(new TrainPoint(i, i, i, 0.1f));
        var first = run.ReadSince(default);
        Assert.Equal(RunState.Training, first.State);
        Assert.Equal(5, first.Points.Count);
        for (int i = 5; i < 8; i++) run.AddPoint(new TrainPoint(i, i, i, 0.1f));
        var second = run.ReadSince(first.Cursor);
        Assert.Equal([5, 6, 7], second.Points.Select(p => p.Iteration));
        Assert.Null(second.State); // unchanged since the first read
        Assert.True(run.ReadSince(second.Cursor).IsEmpty);
        run.SetState(RunState.Finished, "done");
        Assert.Equal(RunState.Finished, run.ReadSince(second.Cursor).State);
    }

    [Fact]
    public void ALongRunKeepsFewerPointsTheLongerItGoes()
    {
        var run = new RunHistory("long");
        const int iterations = 200_000;
        for (int i = 0; i < iterations; i++) run.AddPoint(new TrainPoint(i, 1, 1, 0.01f));
        var points = run.ReadAll().Points;
        // 20k at stride 1, then 20k each at strides 2, 4 (up to 140k), and 8 to the end.
        Assert.Equal(20_000 + 20_000 + 20_000 + (iterations - 140_000) / 8, points.Count);
        Assert.Equal(Enumerable.Range(0, 20_000), points.Take(20_000).Select(p => p.Iteration));
        Assert.All(points.Skip(60_000), p => Assert.Equal(0, p.Iteration % 8));
        Assert.Equal(iterations - 8, points[^1].Iteration);
    }

    [Fact]
    public void AFindingRaisedAgainKeepsItsFirstIterationAndAClearedOneCanReturn()
    {
        var run = new RunHistory("r");
        Finding Stuck(string evidence) => new(Severity.Error, "LOSS_AT_CHANCE", "stuck", evidence, "");
        run.Raise(Stuck("a"), 10);
        var seen = run.ReadAll().Cursor;
        run.Raise(Stuck("b"), 20);
        var renewed = Assert.Single(run.ReadSince(seen).Findings!);
        Assert.Equal((10, "b", true), (renewed.Iteration, renewed.Finding.Evidence, renewed.Active));
        run.Clear("LOSS_AT_CHANCE", 30);
        run.Raise(Stuck("c"), 40);
        var all = run.ReadAll().Findings!;
        Assert.Equal([(10, false, (int?)30), (40, true, null)], all.Select(f => (f.Iteration, f.Active, f.ClearedAt)));
    }

    [Fact]
    public void ReadersOnOtherThreadsSeeEveryPointWhileTrainingAppends()
    {
        var run = new RunHistory("r");
        var writer = Task.Run(() => { for (int i = 0; i < 10_000; i++) run.AddPoint(new TrainPoint(i, i, i, 0)); });
        var got = new List<int>();
        RunCursor cursor = default;
        while (!writer.IsCompleted || got.Count < 10_000)
        {
            var delta = run.ReadSince(cursor);
            got.AddRange(delta.Points.Select(p => p.Iteration));
            cursor = delta.Cursor;
            if (writer.IsFaulted) throw writer.Exception!;
        }
        Assert.Equal(Enumerable.Range(0, 10_000), got);
    }
}
