using System.Diagnostics;
using System.Globalization;
using Cortado.Solvers;

namespace Cortado.Cli;

/// <summary>
/// A one-line progress display (iteration, loss, lr, speed, time left) redrawn in place on a
/// terminal. When standard error is a file or pipe it shows nothing, so logs stay plain.
/// </summary>
public sealed class ProgressLine : IDisposable
{
    private readonly Solver? _solver;
    private readonly TextWriter _writer;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly int _startIter;
    private long _lastDraw;

    private ProgressLine(Solver? solver, TextWriter writer)
    {
        _solver = solver;
        _writer = writer;
        if (solver == null) return;
        _startIter = solver.Iter;
        solver.IterationDone += Draw;
    }

    public static ProgressLine ForStandardError(Solver solver) =>
        Console.IsErrorRedirected ? new ProgressLine(null, TextWriter.Null) : new ProgressLine(solver, Console.Error);

    private void Draw(int iter, float loss, float smoothed, float rate)
    {
        long now = _clock.ElapsedMilliseconds;
        if (now - _lastDraw < 250 && iter < _solver!.Param.MaxIter) return;
        _lastDraw = now;
        double perSecond = (iter - _startIter) / Math.Max(_clock.Elapsed.TotalSeconds, 1e-9);
        var left = TimeSpan.FromSeconds(perSecond > 0 ? (_solver!.Param.MaxIter - iter) / perSecond : 0);
        string line = string.Create(CultureInfo.InvariantCulture,
            $"iter {iter}/{_solver!.Param.MaxIter}  loss {smoothed:G5}  lr {rate:G4}  {perSecond:F1} it/s  left {(int)left.TotalHours}:{left:mm\\:ss}");
        lock (_writer) _writer.Write("\r\u001b[2K" + line);
    }

    public void Dispose()
    {
        if (_solver == null) return;
        _solver.IterationDone -= Draw;
        lock (_writer) _writer.Write("\r\u001b[2K");
    }
}
