namespace Cortado.Errors;

/// <summary>A dataset that cannot be read as expected: the message names the database or file (and the key or line).</summary>
public sealed class DataException(string source, string problem) : CortadoException($"{source}: {problem}")
{
    public string SourceName { get; } = source;
}
