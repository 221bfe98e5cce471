using System.Collections;
using System.Globalization;
using System.Text;
using Cortado.Errors;
using Google.Protobuf;
using Google.Protobuf.Reflection;

namespace Cortado.Proto;

/// <summary>
/// Reads protobuf text format into any message, driven by its descriptor: no per-field
/// code. Accepts what Caffe's files use: comments, nested messages with or without ':',
/// '&lt;...&gt;' braces, repeated fields given repeatedly or as '[a, b]', enums by name or
/// number, quoted strings with C escapes (adjacent strings join), and numbers such as
/// 1e-4, .5, 2f, 0x10, -inf and nan. Unknown fields and repeated singular fields are errors.
/// </summary>
internal sealed class TextParser
{
    private readonly TextTokenizer _tokens;

    public TextParser(string text, string source) => _tokens = new TextTokenizer(text, source);

    public void ParseInto(IMessage message)
    {
        ParseFields(message, closing: null);
        var end = _tokens.Next();
        if (end.Kind != TextTokenKind.End) throw _tokens.Error(end, $"unexpected {end.Describe()}");
    }

    private void ParseFields(IMessage message, string? closing)
    {
        var descriptor = message.Descriptor;
        var seen = new HashSet<int>();
        while (true)
        {
            var token = _tokens.Peek();
            if (closing != null && token.Is(closing)) return;
            if (token.Kind == TextTokenKind.End)
            {
                if (closing == null) return;
                throw _tokens.Error(token, $"expected '{closing}' to close {descriptor.Name} before the end of the file");
            }
            _tokens.Next();
            if (token.Kind != TextTokenKind.Identifier)
                throw _tokens.Error(token, $"expected a field name of {descriptor.Name}, found {token.Describe()}");

            var field = descriptor.FindFieldByName(token.Text)
                ?? throw _tokens.Error(token, UnknownField(token.Text, descriptor));
            if (!field.IsRepeated && !seen.Add(field.FieldNumber))
                throw _tokens.Error(token, $"field '{field.Name}' of {descriptor.Name} is given more than once; it is not a repeated field");

            if (field.FieldType == FieldType.Message) ParseMessageField(message, field, token);
            else ParseScalarField(message, field, token);

            var separator = _tokens.Peek();
            if (separator.Is(",") || separator.Is(";")) _tokens.Next();
        }
    }

    private void ParseMessageField(IMessage parent, FieldDescriptor field, TextToken name)
    {
        bool colon = _tokens.Peek().Is(":");
        if (colon) _tokens.Next();
        if (field.IsRepeated && _tokens.Peek().Is("["))
        {
            _tokens.Next();
            if (_tokens.Peek().Is("]")) { _tokens.Next(); return; }
            while (true)
            {
                AddMessage(parent, field, ExpectOpenBrace(field, colon, _tokens.Next()));
                var next = _tokens.Next();
                if (next.Is("]")) return;
                if (!next.Is(",")) throw _tokens.Error(next, $"expected ',' or ']' in the list of '{field.Name}', found {next.Describe()}");
            }
        }
        AddMessage(parent, field, ExpectOpenBrace(field, colon, _tokens.Next()));
    }

    private string ExpectOpenBrace(FieldDescriptor field, bool colon, TextToken token)
    {
        if (token.Is("{")) return "}";
        if (token.Is("<")) return ">";
        throw _tokens.Error(token, colon
            ? $"expected '{{' to open '{field.Name}' ({field.MessageType.Name}), found {token.Describe()}"
            : $"expected ':' or '{{' after field name '{field.Name}', found {token.Describe()}");
    }

    private void AddMessage(IMessage parent, FieldDescriptor field, string closing)
    {
        IMessage child;
        if (field.IsRepeated)
        {
            child = (IMessage)Activator.CreateInstance(field.MessageType.ClrType)!;
            ((IList)field.Accessor.GetValue(parent)).Add(child);
        }
        else
        {
            child = field.Accessor.GetValue(parent) as IMessage ?? (IMessage)Activator.CreateInstance(field.MessageType.ClrType)!;
            field.Accessor.SetValue(parent, child);
        }
        ParseFields(child, closing);
        _tokens.Next();
    }

    private void ParseScalarField(IMessage parent, FieldDescriptor field, TextToken name)
    {
        var colon = _tokens.Next();
        if (!colon.Is(":"))
            throw _tokens.Error(colon, $"expected ':' after field name '{field.Name}', found {colon.Describe()}");
        if (field.IsRepeated && _tokens.Peek().Is("["))
        {
            _tokens.Next();
            if (_tokens.Peek().Is("]")) { _tokens.Next(); return; }
            while (true)
            {
                Store(parent, field, ReadValue(field));
                var next = _tokens.Next();
                if (next.Is("]")) return;
                if (!next.Is(",")) throw _tokens.Error(next, $"expected ',' or ']' in the list of '{field.Name}', found {next.Describe()}");
            }
        }
        Store(parent, field, ReadValue(field));
    }

    private static void Store(IMessage parent, FieldDescriptor field, object value)
    {
        if (field.IsRepeated) ((IList)field.Accessor.GetValue(parent)).Add(value);
        else field.Accessor.SetValue(parent, value);
    }

    private object ReadValue(FieldDescriptor field)
    {
        var token = _tokens.Peek();
        switch (field.FieldType)
        {
            case FieldType.String:
                return Encoding.UTF8.GetString(ReadStrings(field));
            case FieldType.Bytes:
                return ByteString.CopyFrom(ReadStrings(field));
            case FieldType.Bool:
                return ReadBool(field);
            case FieldType.Enum:
                return ReadEnum(field);
            case FieldType.Float:
                return (float)ReadReal(field);
            case FieldType.Double:
                return ReadReal(field);
            case FieldType.Int32: case FieldType.SInt32: case FieldType.SFixed32:
                return (int)ReadInteger(field, int.MinValue, int.MaxValue);
            case FieldType.Int64: case FieldType.SInt64: case FieldType.SFixed64:
                return (long)ReadInteger(field, long.MinValue, long.MaxValue);
            case FieldType.UInt32: case FieldType.Fixed32:
                return (uint)ReadInteger(field, 0, uint.MaxValue);
            case FieldType.UInt64: case FieldType.Fixed64:
                return (ulong)ReadInteger(field, 0, ulong.MaxValue);
            default:
                throw _tokens.Error(token, $"field '{field.Name}' has type {field.FieldType}, which the text reader does not handle");
        }
    }

    private byte[] ReadStrings(FieldDescriptor field)
    {
        var first = _tokens.Next();
        if (first.Kind != TextTokenKind.String)
            throw _tokens.Error(first, $"expected a quoted string for '{field.Name}', found {first.Describe()}");
        var bytes = new List<byte>(TextEscaping.Unescape(first.Text, () => _tokens.Error(first, "bad escape sequence in string")));
        while (_tokens.Peek().Kind == TextTokenKind.String)
        {
            var more = _tokens.Next();
            bytes.AddRange(TextEscaping.Unescape(more.Text, () => _tokens.Error(more, "bad escape sequence in string")));
        }
        return bytes.ToArray();
    }

    private bool ReadBool(FieldDescriptor field)
    {
        var token = _tokens.Next();
        return token.Text switch
        {
            "true" or "True" or "t" or "1" => true,
            "false" or "False" or "f" or "0" => false,
            _ => throw _tokens.Error(token, $"expected true or false for '{field.Name}', found {token.Describe()}"),
        };
    }

    private object ReadEnum(FieldDescriptor field)
    {
        var type = field.EnumType;
        var token = _tokens.Next();
        EnumValueDescriptor? value = null;
        if (token.Kind == TextTokenKind.Identifier) value = type.FindValueByName(token.Text);
        else if (token.Kind == TextTokenKind.Number && int.TryParse(token.Text, out int number)) value = type.FindValueByNumber(number);
        else if (token.Is("-") && _tokens.Peek().Kind == TextTokenKind.Number && int.TryParse(_tokens.Next().Text, out int negative))
            value = type.FindValueByNumber(-negative);
        if (value == null)
        {
            var names = type.Values.Select(v => v.Name).ToList();
            string expected = names.Count == 1 ? names[0] : string.Join(", ", names.Take(names.Count - 1)) + " or " + names[^1];
            throw _tokens.Error(token, $"value '{token.Text}' is not a {ShortName(type.FullName)}; expected {expected}");
        }
        return Enum.ToObject(type.ClrType, value.Number);
    }

    private double ReadReal(FieldDescriptor field)
    {
        bool negative = false;
        var token = _tokens.Next();
        if (token.Is("-")) { negative = true; token = _tokens.Next(); }
        double value;
        string text = token.Text.ToLowerInvariant();
        if (token.Kind == TextTokenKind.Identifier && (text is "inf" or "infinity")) value = double.PositiveInfinity;
        else if (token.Kind == TextTokenKind.Identifier && text == "nan") value = double.NaN;
        else if (token.Kind == TextTokenKind.Number && TryParseReal(text, out value)) { }
        else throw _tokens.Error(token, $"expected a number for '{field.Name}', found {token.Describe()}");
        return negative ? -value : value;
    }

    private static bool TryParseReal(string text, out double value)
    {
        if (text.StartsWith("0x")) { bool ok = ulong.TryParse(text[2..], NumberStyles.HexNumber, CultureInfo.InvariantCulture, out ulong hex); value = hex; return ok; }
        if (text.EndsWith('f')) text = text[..^1];
        return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out value);
    }

    private decimal ReadInteger(FieldDescriptor field, decimal min, decimal max)
    {
        bool negative = false;
        var token = _tokens.Next();
        if (token.Is("-")) { negative = true; token = _tokens.Next(); }
        if (token.Kind != TextTokenKind.Number || !TryParseInteger(token.Text, out decimal value))
        {
            string hint = token.Kind == TextTokenKind.Number ? " (it must be a whole number)" : "";
            throw _tokens.Error(token, $"expected an integer for '{field.Name}', found {token.Describe()}{hint}");
        }
        if (negative) value = -value;
        if (value < min || value > max)
            throw _tokens.Error(token, $"value {value} of '{field.Name}' is out of range for {field.FieldType.ToString().ToLowerInvariant()} ({min}..{max})");
        return value;
    }

    private static bool TryParseInteger(string text, out decimal value)
    {
        value = 0;
        if (text.StartsWith("0x") || text.StartsWith("0X"))
        {
            bool ok = ulong.TryParse(text[2..], NumberStyles.HexNumber, CultureInfo.InvariantCulture, out ulong hex);
            value = hex;
            return ok;
        }
        return decimal.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value);
    }

    private static string UnknownField(string name, MessageDescriptor descriptor)
    {
        string problem = $"unknown field '{name}' in {descriptor.Name}";
        var nearest = descriptor.Fields.InFieldNumberOrder()
            .Select(f => (f.Name, Distance: EditDistance(name, f.Name)))
            .OrderBy(p => p.Distance).FirstOrDefault();
        if (nearest.Name != null && nearest.Distance <= Math.Max(2, name.Length / 4)) problem += $"; did you mean '{nearest.Name}'?";
        return problem;
    }

    private static string ShortName(string fullName) => fullName.StartsWith("caffe.") ? fullName["caffe.".Length..] : fullName;

    private static int EditDistance(string a, string b)
    {
        var row = Enumerable.Range(0, b.Length + 1).ToArray();
        for (int i = 1; i <= a.Length; i++)
        {
            int diagonal = row[0];
            row[0] = i;
            for (int j = 1; j <= b.Length; j++)
            {
                int above = row[j];
                row[j] = Math.Min(Math.Min(row[j] + 1, row[j - 1] + 1), diagonal + (a[i - 1] == b[j - 1] ? 0 : 1));
                diagonal = above;
            }
        }
        return row[b.Length];
    }
}
