using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Cortado.Errors;

namespace Cortado.Keras.Callbacks;

/// <summary>
/// Keras's ModelCheckpoint (monitor 'val_loss', save_best_only false, save_weights_only false, mode
/// 'auto', once per epoch): saves the model after each epoch, or only when the monitored quantity
/// improved. The path is formatted as Keras formats it, with the epoch counted from 1 and the epoch's
/// logs: "weights.{epoch:02d}-{val_loss:.2f}.h5". Each file is written atomically.
/// </summary>
public sealed partial class ModelCheckpoint(string filepath, string monitor = "val_loss", bool saveBestOnly = false, bool saveWeightsOnly = false, string mode = "auto") : Callback
{
    private double _best;
    private bool _maximise;

    /// <summary>Where Keras's verbose=1 lines go ("Epoch 3: val_loss improved from ... saving model to ..."); none when null.</summary>
    public TextWriter? Output { get; init; }

    /// <summary>The files written, in order.</summary>
    public List<string> Saved { get; } = [];

    public override void OnTrainBegin(TrainingState state)
    {
        _maximise = Maximises(mode, monitor, nameof(ModelCheckpoint));
        _best = _maximise ? double.NegativeInfinity : double.PositiveInfinity;
    }

    public override void OnEpochEnd(int epoch, IReadOnlyDictionary<string, double> logs, TrainingState state)
    {
        string path = Format(filepath, epoch + 1, logs);
        if (saveBestOnly)
        {
            double current = Monitored(logs, monitor, nameof(ModelCheckpoint));
            if (!(_maximise ? current > _best : current < _best))
            {
                Output?.WriteLine(string.Create(CultureInfo.InvariantCulture, $"\nEpoch {epoch + 1}: {monitor} did not improve from {_best:F5}"));
                return;
            }
            Output?.WriteLine(string.Create(CultureInfo.InvariantCulture, $"\nEpoch {epoch + 1}: {monitor} improved from {_best:F5} to {current:F5}, saving model to {path}"));
            _best = current;
        }
        else Output?.WriteLine($"\nEpoch {epoch + 1}: saving model to {path}");
        if (saveWeightsOnly) state.Model.SaveWeights(path);
        else state.Model.Save(path);
        Saved.Add(path);
    }

    [GeneratedRegex(@"\{(\w+)(?::([^{}]*))?\}")]
    private static partial Regex Field();

    /// <summary>
    /// Python's str.format for the fields Keras fills: {epoch} and each log, with the format specs
    /// people write (02d, 03d, .2f, .4f, .3e); another spec or an unknown field is an error naming it.
    /// </summary>
    internal static string Format(string pattern, int epoch, IReadOnlyDictionary<string, double> logs)
    {
        var result = new StringBuilder();
        int at = 0;
        foreach (Match match in Field().Matches(pattern))
        {
            result.Append(pattern, at, match.Index - at);
            at = match.Index + match.Length;
            string name = match.Groups[1].Value, spec = match.Groups[2].Value;
            double value = name == "epoch" ? epoch
                : logs.TryGetValue(name, out double logged) ? logged
                : throw new CortadoException($"{nameof(ModelCheckpoint)}: the path '{pattern}' names '{name}', which is not in the epoch's logs (epoch, {string.Join(", ", logs.Keys)})");
            result.Append(Spec(value, name == "epoch", spec, pattern));
        }
        return result.Append(pattern, at, pattern.Length - at).ToString();
    }

    private static string Spec(double value, bool whole, string spec, string pattern)
    {
        var m = Regex.Match(spec, @"^(0?)(\d*)(?:\.(\d+))?([dfe]?)$");
        if (!m.Success) throw new CortadoException($"{nameof(ModelCheckpoint)}: format '{spec}' in '{pattern}' is not one of the forms d, 0Nd, .Nf, .Ne");
        int width = m.Groups[2].Length > 0 ? int.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture) : 0;
        int? precision = m.Groups[3].Length > 0 ? int.Parse(m.Groups[3].Value, CultureInfo.InvariantCulture) : null;
        string text = m.Groups[4].Value switch
        {
            "d" => ((long)value).ToString(CultureInfo.InvariantCulture),
            "f" => value.ToString("F" + (precision ?? 6), CultureInfo.InvariantCulture),
            // Python's exponent has at least two digits: 1.23e-04.
            // .NET's "e+00" gives Python's form: at least two exponent digits, 1.23e-04.
            "e" => value.ToString((precision ?? 6) == 0 ? "0e+00" : "0." + new string('0', precision ?? 6) + "e+00", CultureInfo.InvariantCulture),
            _ => whole ? ((long)value).ToString(CultureInfo.InvariantCulture) : PythonFloat(value),
        };
        return m.Groups[1].Length > 0 ? (text.StartsWith('-') ? "-" + text[1..].PadLeft(width - 1, '0') : text.PadLeft(width, '0')) : text.PadLeft(width);
    }

    /// <summary>Python's str of a float: the shortest round-trip digits, with ".0" on whole numbers.</summary>
    private static string PythonFloat(double value)
    {
        if (double.IsNaN(value)) return "nan";
        if (double.IsInfinity(value)) return value > 0 ? "inf" : "-inf";
        string text = value.ToString("R", CultureInfo.InvariantCulture);
        return text.Contains('.') || text.Contains('E') ? text.Replace("E", "e") : text + ".0";
    }
}
