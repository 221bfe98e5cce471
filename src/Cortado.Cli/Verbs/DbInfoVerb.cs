using System.Globalization;
using Cortado.Data;

namespace Cortado.Cli.Verbs;

/// <summary>Counts, shape, label histogram, pixel range and label order of an LMDB.</summary>
public sealed class DbInfoVerb : IVerb
{
    public string Name => "db-info";
    public string Summary => "summarise an LMDB: count, shape, labels, pixel range, order";
    public string Usage => "DB";
    public IReadOnlyList<Flag> Flags => [];

    public int Run(VerbArguments arguments, VerbConsole console)
    {
        string path = arguments.ExpectPositional(1)[0];
        var s = DatasetSummary.Read(path);
        var o = console.Out;
        string F(double v) => v.ToString("0.###", CultureInfo.InvariantCulture);
        o.WriteLine($"{path}: {s.Count} records, keys {s.FirstKey} .. {s.LastKey}");
        o.WriteLine($"  shape: {s.Channels} x {s.Height} x {s.Width}{(s.Encoded ? " (encoded images)" : "")}");
        o.WriteLine($"  pixels: min {F(s.PixelMin)}, max {F(s.PixelMax)}, mean {F(s.PixelMean)}" +
            (s.PixelMax > 1.5 ? "  (raw values: without transform_param { scale: 0.00390625 } the net sees 0..255)" : ""));
        o.WriteLine($"  labels: {s.LabelCounts.Count} classes, {s.LabelCounts.Keys.Min()}..{s.LabelCounts.Keys.Max()}");
        foreach (var (label, count) in s.LabelCounts) o.WriteLine($"    {label,4}: {count,8} ({F(100.0 * count / s.Count)}%)");
        o.WriteLine(s.LooksSorted
            ? $"  order: labels come in {s.LabelRuns} runs: the database is sorted by class, not shuffled (use --shuffle when converting)"
            : $"  order: labels change {s.LabelRuns - 1} times: shuffled");
        return 0;
    }
}
