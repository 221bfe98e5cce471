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
        new DashboardVerb(),
        new KerasImportVerb(),
        new KerasExportVerb(),
        new MakeNumbersVerb(),
        new DiagnoseVerb(),
        new PortCheckVerb(),
        new ConvertIdxVerb(),
        new ConvertImagesetVerb(),
        new DbInfoVerb(),
        new ComputeImageMeanVerb(),
        new DeviceQueryVerb(),
    ];

    /// <summary>Caffe's tool and command names, so its shell scripts run with the binary's name changed.</summary>
    private static readonly Dictionary<string, string> CaffeNames = new()
    {
        ["convert_imageset"] = "convert-imageset",
        ["convert_mnist_data"] = "convert-idx",
        ["compute_image_mean"] = "compute-image-mean",
        ["upgrade_net_proto_text"] = "upgrade-net",
        ["upgrade_net_proto_binary"] = "upgrade-net",
        ["upgrade_solver_proto_text"] = "upgrade-solver",
        ["extract_features"] = "extract-features",
        ["device_query"] = "device-query",
    };

    public static IReadOnlyList<IVerb> Verbs => All;

    public static IVerb Find(string name)
    {
        string wanted = CaffeNames.TryGetValue(name, out var ours) ? ours : name.Replace('_', '-');
        return All.FirstOrDefault(v => v.Name == wanted) ?? throw new CortadoException($"unknown verb '{name}'; known verbs: {string.Join(", ", All.Select(v => v.Name))}");
    }
}
