using System.Text.Json;
using Cortado.Monitoring;

namespace Cortado.Dashboard;

/// <summary>
/// Runs as the page reads them: a run's delta as one JSON object, columns of numbers for the
/// curves (uPlot's layout), non-finite values as null (a gap in the curve; the findings say why).
/// </summary>
internal static class RunJson
{
    /// <summary>Some points alone, as /api/runs/N/series serves them: {"points": {...}}.</summary>
    public static byte[] Series(IReadOnlyList<TrainPoint> points) => Object(json => WritePoints(json, points));

    public static byte[] Delta(int id, RunHistory run, RunDelta delta, bool first) => Object(json =>
    {
        json.WriteNumber("run", id);
        if (first)
        {
            json.WriteString("name", run.Name);
            json.WriteBoolean("hasGraph", run.Net != null);
            json.WriteBoolean("hasFiles", run.Directory != null);
        }
        if (delta.State is { } state)
        {
            json.WriteString("state", state.ToString().ToLowerInvariant());
            json.WriteString("detail", delta.StateDetail);
        }
        WritePoints(json, delta.Points);
        json.WriteStartArray("tests");
        foreach (var test in delta.Tests)
        {
            json.WriteStartObject();
            json.WriteNumber("iteration", test.Iteration);
            json.WriteNumber("net", test.TestNet);
            json.WriteString("output", test.Output);
            Number(json, "value", test.Value);
            json.WriteEndObject();
        }
        json.WriteEndArray();
        json.WriteStartArray("samples");
        foreach (var sample in delta.Samples) WriteSample(json, sample);
        json.WriteEndArray();
        if (delta.Findings != null)
        {
            json.WriteStartArray("findings");
            foreach (var finding in delta.Findings) WriteFinding(json, finding);
            json.WriteEndArray();
        }
    });

    /// <summary>One JSON object, its members written by <paramref name="members"/>.</summary>
    private static byte[] Object(Action<Utf8JsonWriter> members)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            members(json);
            json.WriteEndObject();
        }
        return buffer.ToArray();
    }

    private static void WritePoints(Utf8JsonWriter json, IReadOnlyList<TrainPoint> points)
    {
        json.WriteStartObject("points");
        json.WriteStartArray("iteration");
        foreach (var p in points) json.WriteNumberValue(p.Iteration);
        json.WriteEndArray();
        Column(json, "loss", points, p => p.Loss);
        Column(json, "smoothed", points, p => p.SmoothedLoss);
        Column(json, "rate", points, p => p.Rate);
        json.WriteEndObject();
    }

    private static void WriteSample(Utf8JsonWriter json, LayerSample sample)
    {
        json.WriteStartObject();
        json.WriteNumber("iteration", sample.Iteration);
        json.WriteStartArray("layers");
        foreach (var layer in sample.Layers)
        {
            json.WriteStartObject();
            json.WriteString("name", layer.Layer);
            json.WriteString("type", layer.Type);
            Number(json, "activation", layer.ActivationRms);
            Number(json, "gradient", layer.GradientRms);
            Number(json, "update", layer.UpdateRatio);
            Number(json, "dead", layer.DeadFraction);
            json.WriteEndObject();
        }
        json.WriteEndArray();
        json.WriteEndObject();
    }

    private static void WriteFinding(Utf8JsonWriter json, LiveFinding live)
    {
        var f = live.Finding;
        json.WriteStartObject();
        json.WriteString("code", f.Code);
        json.WriteString("severity", f.Severity.ToString().ToLowerInvariant());
        json.WriteString("title", f.Title);
        json.WriteString("evidence", f.Evidence);
        json.WriteString("explanation", f.Explanation);
        json.WriteString("fix", f.Fix);
        json.WriteNumber("iteration", live.Iteration);
        json.WriteBoolean("active", live.Active);
        if (live.ClearedAt is { } cleared) json.WriteNumber("clearedAt", cleared);
        json.WriteEndObject();
    }

    private static void Column(Utf8JsonWriter json, string name, IReadOnlyList<TrainPoint> points, Func<TrainPoint, float> value)
    {
        json.WriteStartArray(name);
        foreach (var p in points)
        {
            float v = value(p);
            if (float.IsFinite(v)) json.WriteNumberValue(v); else json.WriteNullValue();
        }
        json.WriteEndArray();
    }

    private static void Number(Utf8JsonWriter json, string name, double value)
    {
        if (double.IsFinite(value)) json.WriteNumber(name, value); else json.WriteNull(name);
    }
}
