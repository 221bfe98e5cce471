using System.Globalization;

namespace Cortado.Keras.Callbacks;

/// <summary>
/// Keras's CSVLogger(filename, separator ',', append false): one row per epoch, "epoch" then the
/// logs' keys in sorted order (Keras's header), the epoch counted from 0. Each row is flushed as it
/// is written, so a run that is stopped keeps its rows.
/// </summary>
public sealed class CSVLogger(string filename, string separator = ",", bool append = false) : Callback
{
    private StreamWriter? _writer;
    private string[]? _keys;

    public override void OnTrainBegin(TrainingState state)
    {
        bool header = !(append && File.Exists(filename) && new FileInfo(filename).Length > 0);
        _writer = new StreamWriter(filename, append) { AutoFlush = true };
        _keys = header ? null : [];
    }

    public override void OnEpochEnd(int epoch, IReadOnlyDictionary<string, double> logs, TrainingState state)
    {
        if (_writer == null) return;
        if (_keys == null || _keys.Length == 0)
        {
            bool writeHeader = _keys == null;
            _keys = [.. logs.Keys.Order(StringComparer.Ordinal)];
            if (writeHeader) _writer.WriteLine(string.Join(separator, ["epoch", .. _keys]));
        }
        _writer.WriteLine(string.Join(separator, [epoch.ToString(CultureInfo.InvariantCulture), .. _keys.Select(k => logs.TryGetValue(k, out double v) ? v.ToString("R", CultureInfo.InvariantCulture) : "")]));
    }

    public override void OnTrainEnd(TrainingState state)
    {
        _writer?.Dispose();
        _writer = null;
    }
}
