using Cortado.Errors;

namespace Cortado.Proto;

/// <summary>
/// Splits protobuf text format into tokens: identifiers, numbers, quoted strings
/// (raw, quotes kept) and single-character symbols. '#' starts a comment to the end of the line.
/// </summary>
internal sealed class TextTokenizer
{
    private readonly string _text;
    private readonly string _source;
    private int _pos;
    private int _line = 1;
    private int _lineStart;
    private TextToken? _peeked;

    public TextTokenizer(string text, string source)
    {
        _text = text;
        _source = source;
    }

    public string Source => _source;

    public TextToken Peek() => _peeked ??= Read();

    public TextToken Next()
    {
        var token = Peek();
        _peeked = null;
        return token;
    }

    public PrototxtException Error(TextToken at, string problem) => new(_source, at.Line, at.Column, problem);

    private TextToken Read()
    {
        SkipSpaceAndComments();
        int line = _line, column = _pos - _lineStart + 1;
        if (_pos >= _text.Length) return new TextToken(TextTokenKind.End, "", line, column);

        char c = _text[_pos];
        int start = _pos;
        if (char.IsLetter(c) || c == '_')
        {
            while (_pos < _text.Length && (char.IsLetterOrDigit(_text[_pos]) || _text[_pos] == '_' || _text[_pos] == '.')) _pos++;
            return new TextToken(TextTokenKind.Identifier, _text[start.._pos], line, column);
        }
        if (char.IsDigit(c) || (c == '.' && _pos + 1 < _text.Length && char.IsDigit(_text[_pos + 1])))
        {
            while (_pos < _text.Length && IsNumberChar(_text[_pos], _text[_pos - 1 < start ? start : _pos - 1])) _pos++;
            return new TextToken(TextTokenKind.Number, _text[start.._pos], line, column);
        }
        if (c == '"' || c == '\'')
        {
            _pos++;
            while (true)
            {
                if (_pos >= _text.Length || _text[_pos] == '\n')
                    throw new PrototxtException(_source, line, column, "string is not closed before the end of the line");
                if (_text[_pos] == '\\') { _pos += 2; continue; }
                if (_text[_pos++] == c) break;
            }
            return new TextToken(TextTokenKind.String, _text[start.._pos], line, column);
        }
        _pos++;
        return new TextToken(TextTokenKind.Symbol, c.ToString(), line, column);
    }

    // Digits, '.', letters (exponent, hex, 'f' suffix) and a sign right after an exponent.
    private static bool IsNumberChar(char c, char previous) =>
        char.IsLetterOrDigit(c) || c == '.' || ((c == '-' || c == '+') && (previous == 'e' || previous == 'E'));

    private void SkipSpaceAndComments()
    {
        while (_pos < _text.Length)
        {
            char c = _text[_pos];
            if (c == '\n') { _pos++; _line++; _lineStart = _pos; }
            else if (char.IsWhiteSpace(c)) _pos++;
            else if (c == '#') { while (_pos < _text.Length && _text[_pos] != '\n') _pos++; }
            else break;
        }
    }
}
