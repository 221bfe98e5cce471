using System.Text;

namespace Cortado.Proto;

/// <summary>C-style escaping of text-format strings, as protobuf's C++ text format reads and writes them.</summary>
internal static class TextEscaping
{
    /// <summary>Decodes a quoted token (quotes included) to its bytes.</summary>
    public static byte[] Unescape(string quoted, Func<Exception> bad)
    {
        var body = quoted.AsSpan(1, quoted.Length - 2);
        var bytes = new List<byte>(body.Length);
        for (int i = 0; i < body.Length; i++)
        {
            char c = body[i];
            if (c != '\\')
            {
                if (c < 0x80) bytes.Add((byte)c);
                else bytes.AddRange(Encoding.UTF8.GetBytes(c.ToString()));
                continue;
            }
            if (++i >= body.Length) throw bad();
            char e = body[i];
            switch (e)
            {
                case 'n': bytes.Add((byte)'\n'); break;
                case 'r': bytes.Add((byte)'\r'); break;
                case 't': bytes.Add((byte)'\t'); break;
                case 'a': bytes.Add(7); break;
                case 'b': bytes.Add(8); break;
                case 'f': bytes.Add(12); break;
                case 'v': bytes.Add(11); break;
                case '\\': case '\'': case '"': case '?': bytes.Add((byte)e); break;
                case 'x':
                {
                    int value = 0, digits = 0;
                    while (digits < 2 && i + 1 < body.Length && Uri.IsHexDigit(body[i + 1])) { value = value * 16 + Convert.ToInt32(body[++i].ToString(), 16); digits++; }
                    if (digits == 0) throw bad();
                    bytes.Add((byte)value);
                    break;
                }
                default:
                    if (e < '0' || e > '7') throw bad();
                    int octal = e - '0';
                    for (int n = 0; n < 2 && i + 1 < body.Length && body[i + 1] >= '0' && body[i + 1] <= '7'; n++) octal = octal * 8 + (body[++i] - '0');
                    bytes.Add((byte)octal);
                    break;
            }
        }
        return bytes.ToArray();
    }

    /// <summary>Quotes bytes for output; printable UTF-8 text stays readable, other bytes become octal escapes.</summary>
    public static string Escape(ReadOnlySpan<byte> bytes, bool keepUtf8)
    {
        var sb = new StringBuilder(bytes.Length + 2).Append('"');
        string? text = keepUtf8 ? TryUtf8(bytes) : null;
        if (text != null)
        {
            foreach (char c in text) AppendChar(sb, c);
        }
        else
        {
            foreach (byte b in bytes)
            {
                if (b >= 0x20 && b < 0x7f) AppendChar(sb, (char)b);
                else AppendEscape(sb, b);
            }
        }
        return sb.Append('"').ToString();
    }

    private static void AppendChar(StringBuilder sb, char c)
    {
        switch (c)
        {
            case '\n': sb.Append("\\n"); break;
            case '\r': sb.Append("\\r"); break;
            case '\t': sb.Append("\\t"); break;
            case '"': sb.Append("\\\""); break;
            case '\'': sb.Append("\\'"); break;
            case '\\': sb.Append("\\\\"); break;
            default:
                if (c < 0x20 || c == 0x7f) AppendEscape(sb, (byte)c);
                else sb.Append(c);
                break;
        }
    }

    private static void AppendEscape(StringBuilder sb, byte b) => sb.Append('\\').Append(Convert.ToString(b, 8).PadLeft(3, '0'));

    private static string? TryUtf8(ReadOnlySpan<byte> bytes)
    {
        try { return new UTF8Encoding(false, true).GetString(bytes); }
        catch (DecoderFallbackException) { return null; }
    }
}
