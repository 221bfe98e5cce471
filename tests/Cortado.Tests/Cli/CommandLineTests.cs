using Cortado.Cli;
using Cortado.Cli.Verbs;
using Cortado.Errors;
using Cortado.Proto;
using Cortado.Tests.Proto;

namespace Cortado.Tests.Cli;

public class CommandLineTests
{
    private static (int Code, string Out, string Err) Run(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        int code = CommandLine.Run(args, output, error);
        return (code, output.ToString(), error.ToString());
    }

    [Fact]
    public void HelpListsEveryVerb()
    {
        var (code, output, _) = Run("--help");
        Assert.Equal(0, code);
        foreach (var verb in VerbRegistry.Verbs) Assert.Contains($"  {verb.Name}", output);
    }

    [Fact]
    public void UnknownVerbListsTheKnownOnes()
    {
        var (code, _, error) = Run("trian");
        Assert.Equal(1, code);
        Assert.StartsWith("cortado: error: unknown verb 'trian'; known verbs: demo, upgrade-net", error);
    }

    [Theory]
    [InlineData("--solver", "s.prototxt")]
    [InlineData("-solver", "s.prototxt")]
    [InlineData("--solver=s.prototxt")]
    [InlineData("-solver=s.prototxt")]
    public void FlagsAcceptCaffesFormsAndOurs(params string[] args)
    {
        var verb = new FlagProbe();
        var parsed = new VerbArguments(verb, args.Append("positional").ToList());
        Assert.Equal("s.prototxt", parsed.Get("solver"));
        Assert.Equal(["positional"], parsed.Positional);
    }

    [Fact]
    public void SwitchesAndUnknownFlags()
    {
        var verb = new FlagProbe();
        Assert.True(new VerbArguments(verb, ["--gray"]).Has("gray"));
        Assert.False(new VerbArguments(verb, ["-gray=false"]).Has("gray"));
        var e = Assert.Throws<CortadoException>(() => new VerbArguments(verb, ["--weigths", "w"]));
        Assert.Equal("probe: unknown flag '--weigths'; known flags: --solver, --gray", e.Message);
        Assert.Throws<CortadoException>(() => new VerbArguments(verb, ["--solver"]));
    }

    [Fact]
    public void UpgradeNetWritesTheCurrentForm()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.File("old.prototxt"), SampleNets.V1LeNet);
        var (code, output, error) = Run("upgrade-net", dir.File("old.prototxt"), dir.File("new.prototxt"));
        Assert.True(code == 0, error);
        Assert.Contains("6 layers", output);
        var upgraded = ProtoFiles.ReadText<NetParameter>(dir.File("new.prototxt"));
        Assert.Empty(upgraded.Layers);
        Assert.Equal("Convolution", upgraded.Layer[1].Type);
        Assert.Contains("type: \"Convolution\"", File.ReadAllText(dir.File("new.prototxt")));
    }

    [Fact]
    public void UpgradeNetKeepsBinaryModelsBinary()
    {
        using var dir = new TempDir();
        var old = TextFormat.Parse<NetParameter>(SampleNets.V1LeNet);
        old.Layers[1].Blobs.Add(new BlobProto { Num = 1, Channels = 1, Height = 1, Width = 2, Data = { 0.5f, -1f } });
        ProtoFiles.WriteBinary(dir.File("old.caffemodel"), old);
        Assert.Equal(0, Run("upgrade-net", dir.File("old.caffemodel"), dir.File("new.caffemodel")).Code);
        var upgraded = ProtoFiles.ReadBinary(dir.File("new.caffemodel"), NetParameter.Parser);
        Assert.Equal([0.5f, -1f], upgraded.Layer[1].Blobs[0].Data);
    }

    [Fact]
    public void ErrorsAreOneLineWithoutStackTrace()
    {
        var (code, _, error) = Run("upgrade-net", "/nonexistent/old.prototxt", "/tmp/x.prototxt");
        Assert.Equal(1, code);
        Assert.Equal("cortado: error: /nonexistent/old.prototxt: file not found", error.Trim());

        (code, _, error) = Run("upgrade-net", "only-one");
        Assert.Equal(1, code);
        Assert.Contains("expected 2 argument(s), got 1; usage: cortado upgrade-net IN OUT", error);
    }

    [Fact]
    public void UpgradeSolverRewritesTheEnum()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.File("s.prototxt"), "net: \"n\"\nsolver_type: ADADELTA\nbase_lr: 1\n");
        Assert.Equal(0, Run("upgrade-solver", dir.File("s.prototxt"), dir.File("t.prototxt")).Code);
        var solver = ProtoFiles.ReadSolverText(dir.File("t.prototxt"));
        Assert.Equal("AdaDelta", solver.Type);
        Assert.DoesNotContain("solver_type", File.ReadAllText(dir.File("t.prototxt")));
    }

    [Fact]
    public void DemoRunsOnTheEmbeddedSeedCase()
    {
        var (code, output, error) = Run("demo");
        Assert.True(code == 0, error);
        Assert.Contains("Net \"FneishNet\": 15 layers", output);
        Assert.Contains("no scaling (raw pixels)", output);
        Assert.Contains("MAX 2x2, stride 1", output);
        Assert.Contains("identical", output);
    }

    private sealed class FlagProbe : IVerb
    {
        public string Name => "probe";
        public string Summary => "";
        public string Usage => "";
        public IReadOnlyList<Flag> Flags => [new("solver", "the solver"), new("gray", "a switch", TakesValue: false)];
        public int Run(VerbArguments arguments, TextWriter output) => 0;
    }
}
