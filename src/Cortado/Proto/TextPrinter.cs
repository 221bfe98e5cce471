using System.Collections;
using System.Globalization;
using System.Text;
using Google.Protobuf;
using Google.Protobuf.Reflection;

namespace Cortado.Proto;

/// <summary>
/// Writes any message in protobuf text format the way Caffe's tools do: fields in
/// field-number order, only fields that are set, repeated fields once per element,
/// nested messages as 'name {' blocks indented by two spaces.
/// </summary>
internal static class TextPrinter
{
    public static string Print(IMessage message)
    {
        var sb = new StringBuilder();
        PrintFields(sb, message, 0);
        return sb.ToString();
    }

    private static void PrintFields(StringBuilder sb, IMessage message, int depth)
    {
        foreach (var field in message.Descriptor.Fields.InFieldNumberOrder())
        {
            if (field.IsRepeated)
            {
                foreach (var item in (IList)field.Accessor.GetValue(message)) PrintField(sb, field, item!, depth);
            }
            else if (IsPresent(field, message))
            {
                PrintField(sb, field, field.Accessor.GetValue(message), depth);
            }
        }
    }

    private static bool IsPresent(FieldDescriptor field, IMessage message) =>
        field.HasPresence ? field.Accessor.HasValue(message) : !IsDefault(field.Accessor.GetValue(message));

    private static bool IsDefault(object? value) => value switch
    {
        null => true,
        string s => s.Length == 0,
        ByteString b => b.IsEmpty,
        bool b => !b,
        _ => Convert.ToDouble(value, CultureInfo.InvariantCulture) == 0,
    };

    private static void PrintField(StringBuilder sb, FieldDescriptor field, object value, int depth)
    {
        sb.Append(' ', depth * 2).Append(field.Name);
        if (field.FieldType == FieldType.Message)
        {
            sb.Append(" {\n");
            PrintFields(sb, (IMessage)value, depth + 1);
            sb.Append(' ', depth * 2).Append("}\n");
            return;
        }
        sb.Append(": ").Append(FormatScalar(field, value)).Append('\n');
    }

    private static string FormatScalar(FieldDescriptor field, object value) => field.FieldType switch
    {
        FieldType.String => TextEscaping.Escape(Encoding.UTF8.GetBytes((string)value), keepUtf8: true),
        FieldType.Bytes => TextEscaping.Escape(((ByteString)value).Span, keepUtf8: false),
        FieldType.Bool => (bool)value ? "true" : "false",
        FieldType.Enum => field.EnumType.FindValueByNumber(Convert.ToInt32(value))?.Name ?? Convert.ToInt32(value).ToString(CultureInfo.InvariantCulture),
        FieldType.Float => FormatReal((float)value, ((float)value).ToString("R", CultureInfo.InvariantCulture)),
        FieldType.Double => FormatReal((double)value, ((double)value).ToString("R", CultureInfo.InvariantCulture)),
        _ => Convert.ToString(value, CultureInfo.InvariantCulture)!,
    };

    // Shortest text that reads back to the same value, in C's spelling (1e-08, inf, nan).
    private static string FormatReal(double value, string shortest)
    {
        if (double.IsNaN(value)) return "nan";
        if (double.IsPositiveInfinity(value)) return "inf";
        if (double.IsNegativeInfinity(value)) return "-inf";
        return shortest.Replace("E", "e");
    }
}
