namespace Cortado.Errors;

/// <summary>
/// Base of every error Cortado reports to a user. Each subclass records where the
/// problem is (a file and line, a layer, a key) so the message can name it.
/// The command line prints <see cref="Exception.Message"/> and exits non-zero.
/// </summary>
public class CortadoException : Exception
{
    public CortadoException(string message) : base(message) { }
    public CortadoException(string message, Exception inner) : base(message, inner) { }
}
