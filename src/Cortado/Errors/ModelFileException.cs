namespace Cortado.Errors;

/// <summary>
/// A model, solver or snapshot file that is missing, unreadable, truncated or of the
/// wrong kind. The message names the file and what was expected.
/// </summary>
public sealed class ModelFileException : CortadoException
{
    public string Path { get; }
    /// <summary>What is wrong with the file, without its name.</summary>
    public string Problem { get; }

    public ModelFileException(string path, string problem, Exception? inner = null)
        : base($"{path}: {problem}", inner ?? new Exception(problem))
    {
        Path = path;
        Problem = problem;
    }
}
