using Cortado.Errors;

namespace Cortado.Cli.Verbs;

/// <summary>
/// A verb's parsed command line. Flags may be written as <c>--solver FILE</c>,
/// <c>--solver=FILE</c>, <c>-solver FILE</c> or Caffe's <c>-solver=FILE</c>; everything
/// else is positional. A flag the verb does not declare is an error listing those it does.
/// </summary>
public sealed class VerbArguments
{
    private readonly Dictionary<string, string?> _flags = new();
    private readonly IVerb _verb;

    public IReadOnlyList<string> Positional { get; }

    /// <summary>Flags every verb takes: limits that guard against hostile input.</summary>
    public static IReadOnlyList<Flag> CommonFlags { get; } =
    [
        new("max_image_pixels", "refuse encoded images that claim more pixels than this before decoding them (default 67108864, 8192 x 8192)"),
        new("layers", "comma-separated .dll files of layers of your own (classes deriving from Cortado.Layers.Layer with [LayerType(\"Name\")])"),
    ];

    /// <summary>Applies the common flags given to this verb.</summary>
    public void ApplyCommonFlags()
    {
        foreach (var assembly in (Get("layers") ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries))
            Layers.LayerRegistry.LoadAssembly(assembly);
        if (Get("max_image_pixels") != null)
        {
            long limit = long.TryParse(Get("max_image_pixels"), out var n) && n > 0 ? n
                : throw new CortadoException($"{_verb.Name}: --max_image_pixels must be a positive whole number, got '{Get("max_image_pixels")}'");
            Data.DatumImage.MaxPixels = limit;
        }
    }

    /// <summary>The flags of Caffe's <c>caffe</c> tool (tools/caffe.cpp), which any of its commands accepts.</summary>
    public static IReadOnlyList<Flag> CaffeToolFlags { get; } =
    [
        new("gpu", "GPU ids"), new("solver", "the solver prototxt"), new("model", "the net prototxt"), new("phase", "TRAIN or TEST"),
        new("level", "the net level"), new("stage", "net stages"), new("snapshot", "a .solverstate"), new("weights", "trained weights"),
        new("iterations", "iterations"), new("sigint_effect", "what SIGINT does"), new("sighup_effect", "what SIGHUP does"),
    ];

    /// <summary>Caffe flags given to a Caffe command that has no use for them (Caffe ignores them too).</summary>
    public IReadOnlyList<string> Ignored => _ignored;
    private readonly List<string> _ignored = [];

    public VerbArguments(IVerb verb, IReadOnlyList<string> args)
    {
        _verb = verb;
        var positional = new List<string>();
        for (int i = 0; i < args.Count; i++)
        {
            string arg = args[i];
            if (arg.Length < 2 || arg[0] != '-' || IsNumber(arg)) { positional.Add(arg); continue; }
            string body = arg.TrimStart('-');
            string name = body, value = null!;
            int equals = body.IndexOf('=');
            if (equals >= 0) { name = body[..equals]; value = body[(equals + 1)..]; }
            var flag = verb.Flags.Concat(CommonFlags).FirstOrDefault(f => f.Name == name.Replace('-', '_') || f.Name == name);
            if (flag == null && verb.IsCaffeCommand && CaffeToolFlags.FirstOrDefault(f => f.Name == name.Replace('-', '_')) is { } caffeFlag)
            {
                _ignored.Add(caffeFlag.Name);
                if (equals < 0 && i + 1 < args.Count) i++;
                continue;
            }
            if (flag == null) throw new CortadoException($"{verb.Name}: unknown flag '{arg}'; {DescribeFlags(verb)}");
            if (flag.ValueOptional && equals < 0)
            {
                bool numberFollows = i + 1 < args.Count && IsNumber(args[i + 1]);
                value = numberFollows ? args[++i] : "";
            }
            else if (flag.TakesValue && equals < 0)
            {
                if (i + 1 >= args.Count) throw new CortadoException($"{verb.Name}: flag --{flag.Name} needs a value");
                value = args[++i];
            }
            else if (!flag.TakesValue && equals >= 0 && value is not ("true" or "false"))
            {
                throw new CortadoException($"{verb.Name}: flag --{flag.Name} is a switch and takes no value");
            }
            _flags[flag.Name] = flag.TakesValue ? value : (equals >= 0 ? value : "true");
        }
        Positional = positional;
    }

    public string? Get(string name) => _flags.GetValueOrDefault(name);

    public string Require(string name) =>
        Get(name) ?? throw new CortadoException($"{_verb.Name}: --{name} is required; usage: cortado {_verb.Name} {_verb.Usage}");

    public bool Has(string name) => Get(name) is { } v && v != "false";

    public int GetInt(string name, int fallback)
    {
        string? text = Get(name);
        if (text == null) return fallback;
        return int.TryParse(text, out int value) ? value : throw new CortadoException($"{_verb.Name}: --{name} expects a whole number, got '{text}'");
    }

    public float GetFloat(string name, float fallback)
    {
        string? text = Get(name);
        if (text == null) return fallback;
        return float.TryParse(text, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out float value) && float.IsFinite(value)
            ? value : throw new CortadoException($"{_verb.Name}: --{name} expects a number, got '{text}'");
    }

    /// <summary>Exactly <paramref name="count"/> positional arguments, or an error with the usage.</summary>
    public IReadOnlyList<string> ExpectPositional(int count)
    {
        if (Positional.Count != count)
            throw new CortadoException($"{_verb.Name}: expected {count} argument(s), got {Positional.Count}; usage: cortado {_verb.Name} {_verb.Usage}");
        return Positional;
    }

    private static bool IsNumber(string arg) => double.TryParse(arg, System.Globalization.CultureInfo.InvariantCulture, out _);

    private static string DescribeFlags(IVerb verb) =>
        verb.Flags.Count == 0 ? "this verb takes no flags" : "known flags: " + string.Join(", ", verb.Flags.Select(f => "--" + f.Name));
}
