using System.Globalization;
using System.Text.RegularExpressions;

namespace Cortado.Logging;

/// <summary>
/// The curves in a Caffe (or Cortado) training log, read with the same patterns as Caffe's
/// tools/extra/parse_log.py: smoothed train loss at display iterations, the learning rate,
/// and every test net output at test iterations.
/// </summary>
public sealed partial class TrainingLog
{
    public List<(int Iteration, double Loss)> TrainLoss { get; } = [];
    public List<(int Iteration, double Rate)> LearningRate { get; } = [];
    /// <summary>Test outputs by name ("accuracy", "loss"), for test net #0.</summary>
    public Dictionary<string, List<(int Iteration, double Value)>> Test { get; } = [];

    [GeneratedRegex(@"Iteration (\d+) \([^)]*\), loss = ([-+.\deinfa]+)")]
    private static partial Regex TrainLine();
    [GeneratedRegex(@"Iteration (\d+), lr = ([-+.\deinfa]+)")]
    private static partial Regex RateLine();
    [GeneratedRegex(@"Iteration (\d+), Testing net \(#(\d+)\)")]
    private static partial Regex TestStart();
    [GeneratedRegex(@"Test net output #\d+: (\S+) = ([-+.\deinfa]+)")]
    private static partial Regex TestOutput();

    public static TrainingLog Parse(IEnumerable<string> lines)
    {
        var log = new TrainingLog();
        int testIteration = -1, testNet = -1;
        foreach (var line in lines)
        {
            if (TrainLine().Match(line) is { Success: true } train)
                log.TrainLoss.Add((int.Parse(train.Groups[1].Value, CultureInfo.InvariantCulture), Number(train.Groups[2].Value)));
            else if (RateLine().Match(line) is { Success: true } rate)
                log.LearningRate.Add((int.Parse(rate.Groups[1].Value, CultureInfo.InvariantCulture), Number(rate.Groups[2].Value)));
            else if (TestStart().Match(line) is { Success: true } start)
                (testIteration, testNet) = (int.Parse(start.Groups[1].Value, CultureInfo.InvariantCulture), int.Parse(start.Groups[2].Value, CultureInfo.InvariantCulture));
            else if (testNet == 0 && TestOutput().Match(line) is { Success: true } output)
            {
                if (!log.Test.TryGetValue(output.Groups[1].Value, out var series)) log.Test[output.Groups[1].Value] = series = [];
                series.Add((testIteration, Number(output.Groups[2].Value)));
            }
        }
        return log;
    }

    private static double Number(string text) => text switch
    {
        "nan" or "-nan" => double.NaN,
        "inf" => double.PositiveInfinity,
        "-inf" => double.NegativeInfinity,
        _ => double.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture),
    };
}
