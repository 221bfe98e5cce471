using Cortado.Errors;
using Google.Protobuf;

namespace Cortado.Proto;

/// <summary>
/// Protobuf text format (the .prototxt form of Caffe's nets and solvers) for any message type.
/// Parse errors are <see cref="PrototxtException"/>s that name the source, line and column.
/// </summary>
public static class TextFormat
{
    public static T Parse<T>(string text, string source = "<text>") where T : IMessage<T>, new()
    {
        var message = new T();
        Merge(text, message, source);
        return message;
    }

    /// <summary>Parses text into an existing message, adding to what it holds.</summary>
    public static void Merge(string text, IMessage message, string source = "<text>") =>
        new TextParser(text, source).ParseInto(message);

    public static string Print(IMessage message) => TextPrinter.Print(message);
}
