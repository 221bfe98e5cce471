using Cortado.Data;
using Cortado.Nets;
using Cortado.Tensors;

namespace Cortado.Diagnostics;

/// <summary>What the train net's data layers actually feed (one batch, after transform_param), and the training database when it is an LMDB.</summary>
public sealed record DataSample(float Min, float Max, double Mean, double Rms, int BatchSize, IReadOnlyList<int> Labels, DatasetSummary? Database, string? Source)
{
    public static DataSample Take(Net net)
    {
        int last = -1;
        for (int i = 0; i < net.Layers.Count; i++)
            if (net.Layers[i].Type is "Data" or "ImageData" or "HDF5Data" or "MemoryData" or "DummyData" or "Input") last = i;
        if (last < 0) throw new Errors.CortadoException("the train net has no data layer (Data, ImageData, HDF5Data, MemoryData, DummyData or Input)");
        net.ForwardFromTo(0, last);
        Blob data = net.Tops[last][0];
        var values = data.Data;
        float min = float.MaxValue, max = float.MinValue;
        double sum = 0, squares = 0;
        foreach (float v in values) { min = Math.Min(min, v); max = Math.Max(max, v); sum += v; squares += v * (double)v; }
        var labels = net.Tops[last].Count > 1 ? net.Tops[last][1].Data.ToArray().Select(v => (int)v).ToList() : [];
        string? source = net.Layers[last].Param.DataParam?.Source;
        DatasetSummary? summary = null;
        if (net.Layers[last].Type == "Data" && source != null)
        {
            try { using var reader = RecordDatabases.OpenReader(source); if (reader.Count <= 200_000) summary = DatasetSummary.Read(source); }
            catch (Errors.CortadoException) { }
        }
        return new DataSample(min, max, sum / values.Length, Math.Sqrt(squares / values.Length), data.Shape[0], labels, summary, source);
    }
}
