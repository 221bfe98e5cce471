using Cortado.Cli.Verbs;
using Cortado.Errors;

namespace Cortado.Cli;

/// <summary>
/// The <c>cortado</c> command: finds the verb, runs it, and turns every error into one
/// line on standard error and a non-zero exit code (no stack traces for users; set
/// CORTADO_DEBUG=1 to see them).
/// </summary>
public static class CommandLine
{
    public static int Run(IReadOnlyList<string> args, TextWriter output, TextWriter error)
    {
        try
        {
            if (args.Count == 0 || args[0] is "-h" or "--help" or "-help" or "help")
            {
                if (args.Count > 1) { PrintVerbHelp(VerbRegistry.Find(args[1]), output); return 0; }
                PrintHelp(output);
                return args.Count == 0 ? 1 : 0;
            }
            var verb = VerbRegistry.Find(args[0]);
            var rest = args.Skip(1).ToList();
            if (rest.Any(a => a is "-h" or "--help" or "-help")) { PrintVerbHelp(verb, output); return 0; }
            var arguments = new VerbArguments(verb, rest);
            arguments.ApplyCommonFlags();
            foreach (var ignored in arguments.Ignored)
                error.WriteLine($"cortado {verb.Name}: -{ignored} has no effect on {verb.Name}; ignored, as Caffe ignores it");
            return verb.Run(arguments, new VerbConsole(output, error));
        }
        catch (CortadoException e)
        {
            error.WriteLine($"cortado: error: {e.Message}");
            if (Environment.GetEnvironmentVariable("CORTADO_DEBUG") == "1") error.WriteLine(e);
            return 1;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or OutOfMemoryException)
        {
            error.WriteLine($"cortado: error: {e.Message}");
            return 1;
        }
        catch (Exception e)
        {
            error.WriteLine($"cortado: internal error ({e.GetType().Name}): {e.Message}");
            error.WriteLine("This is a bug in Cortado; run again with CORTADO_DEBUG=1 for the stack trace.");
            if (Environment.GetEnvironmentVariable("CORTADO_DEBUG") == "1") error.WriteLine(e);
            return 2;
        }
    }

    private static void PrintHelp(TextWriter output)
    {
        output.WriteLine("cortado: a Caffe-compatible deep-learning framework for .NET");
        output.WriteLine();
        output.WriteLine("usage: cortado <verb> [arguments]   (cortado help <verb> for a verb's flags)");
        output.WriteLine();
        output.WriteLine("verbs:");
        int width = VerbRegistry.Verbs.Max(v => v.Name.Length);
        foreach (var verb in VerbRegistry.Verbs) output.WriteLine($"  {verb.Name.PadRight(width)}  {verb.Summary}");
        output.WriteLine();
        output.WriteLine("Flags take Caffe's forms too: -solver=FILE, --solver=FILE, --solver FILE.");
        output.WriteLine("Every verb also takes: " + string.Join("; ", VerbArguments.CommonFlags.Select(f => $"--{f.Name} N ({f.Description})")));
    }

    private static void PrintVerbHelp(IVerb verb, TextWriter output)
    {
        output.WriteLine($"usage: cortado {verb.Name} {verb.Usage}");
        output.WriteLine();
        output.WriteLine(verb.Summary);
        if (verb.Flags.Count == 0) return;
        output.WriteLine();
        int width = verb.Flags.Max(f => f.Name.Length + (f.TakesValue ? 6 : 0));
        foreach (var flag in verb.Flags)
            output.WriteLine($"  --{(flag.Name + (flag.TakesValue ? " VALUE" : "")).PadRight(width)}  {flag.Description}");
    }
}
