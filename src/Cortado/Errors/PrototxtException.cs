namespace Cortado.Errors;

/// <summary>A text-format protobuf file (prototxt) that does not parse, with its position.</summary>
public sealed class PrototxtException : CortadoException
{
    public string SourceName { get; }
    public int Line { get; }
    public int Column { get; }
    public string Problem { get; }

    public PrototxtException(string source, int line, int column, string problem)
        : base($"{source}:{line}:{column}: {problem}")
    {
        SourceName = source;
        Line = line;
        Column = column;
        Problem = problem;
    }
}
