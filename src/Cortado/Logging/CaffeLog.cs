using System.Globalization;

namespace Cortado.Logging;

/// <summary>
/// Log lines in glog's layout, as Caffe prints them (<c>I1128 07:45:16.276678 15371 net.cs] Top shape: ...</c>),
/// so log parsers written for Caffe read Cortado's logs. The first two fields (severity with
/// date, and time) are what those parsers read; the message text follows Caffe's wording.
/// </summary>
public sealed class CaffeLog(TextWriter? writer)
{
    private static readonly int ProcessId = Environment.ProcessId;

    /// <summary>A log that discards everything.</summary>
    public static CaffeLog Null { get; } = new(null);

    /// <summary>Caffe logs to standard error.</summary>
    public static CaffeLog StandardError { get; } = new(Console.Error);

    public void Info(string component, string message) => Write('I', component, message);

    public void Warning(string component, string message) => Write('W', component, message);

    public void Error(string component, string message) => Write('E', component, message);

    private void Write(char severity, string component, string message)
    {
        if (writer == null) return;
        var now = DateTime.Now;
        string line = string.Create(CultureInfo.InvariantCulture, $"{severity}{now:MMdd HH:mm:ss.ffffff} {ProcessId} {component}] {message}");
        lock (writer) writer.WriteLine(line);
    }
}
