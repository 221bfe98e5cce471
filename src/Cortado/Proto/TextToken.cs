namespace Cortado.Proto;

internal enum TextTokenKind { Identifier, Number, String, Symbol, End }

/// <summary>One token of the protobuf text format, with its 1-based position.</summary>
internal readonly record struct TextToken(TextTokenKind Kind, string Text, int Line, int Column)
{
    public bool Is(string symbol) => Kind == TextTokenKind.Symbol && Text == symbol;

    public string Describe() => Kind switch
    {
        TextTokenKind.End => "end of file",
        TextTokenKind.String => $"string {Text}",
        _ => $"'{Text}'",
    };
}
