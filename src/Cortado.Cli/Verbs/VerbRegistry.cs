using Cortado.Errors;

namespace Cortado.Cli.Verbs;

/// <summary>The verbs <c>cortado</c> knows, keyed by name. Later parts of Cortado add theirs here.</summary>
public static class VerbRegistry
{
    private static readonly IVerb[] All =
    [
        new DemoVerb(),
        new UpgradeNetVerb(),
        new UpgradeSolverVerb(),
        new TrainVerb(),
        new TestVerb(),
        new TimeVerb(),
        new ClassifyVerb(),
        new ExtractFeaturesVerb(),
        new DrawNetVerb(),
        new ExportOnnxVerb(),
        new ImportOnnxVerb(),
        new PlotVerb(),
        new KerasImportVerb(),
        new MakeNumbersVerb(),
        new DiagnoseVerb(),
        new PortCheckVerb(),
        new ConvertIdxVerb(),
        new ConvertImagesetVerb(),
        new DbInfoVerb(),
        new ComputeImageMeanVerb(),
    ];

    public static IReadOnlyList<IVerb> Verbs => All;

    public static IVerb Find(string name) =>
        All.FirstOrDefault(v => v.Name == name)
        ?? throw new CortadoException($"unknown verb '{name}'; known verbs: {string.Join(", ", All.Select(v => v.Name))}");
}
