namespace Cortado.Cli.Verbs;

/// <summary>One sub-command of <c>cortado</c>, looked up by name in the <see cref="VerbRegistry"/>.</summary>
public interface IVerb
{
    string Name { get; }
    string Summary { get; }
    /// <summary>The arguments after the verb, e.g. "IN OUT" or "--solver FILE [--weights W]".</summary>
    string Usage { get; }
    IReadOnlyList<Flag> Flags { get; }
    /// <summary>
    /// A command of Caffe's <c>caffe</c> tool (train, test, time, device_query). Caffe's flags are
    /// global, so every such command accepts all of them; one that does not apply is ignored, with a note.
    /// </summary>
    bool IsCaffeCommand => false;
    int Run(VerbArguments arguments, VerbConsole console);
}

/// <summary>
/// A named option of a verb. A flag without a value is a switch (e.g. --gray). One whose value is
/// optional takes the next argument only when it is a number (--dashboard, --dashboard 8080); given
/// alone its value is the empty string.
/// </summary>
public sealed record Flag(string Name, string Description, bool TakesValue = true, bool ValueOptional = false);

/// <summary>Where a verb writes: results to standard output, Caffe-style log lines to standard error (as Caffe's glog does).</summary>
public sealed record VerbConsole(TextWriter Out, TextWriter Error)
{
    public Cortado.Logging.CaffeLog Log { get; } = new(Error);
}
