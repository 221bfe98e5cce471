using Cortado.Errors;
using Cortado.Proto;

namespace Cortado.Solvers;

/// <summary>
/// Finds the train and test nets a solver names, as Caffe's Solver::InitTrainNet/InitTestNets:
/// the train net from train_net_param, train_net, net_param or net; test nets from
/// test_net_param, test_net, then one per remaining test_iter from net_param/net. Relative
/// paths are tried from the working directory, then from the solver file's folder.
/// </summary>
internal static class SolverNets
{
    public sealed record NetSource(NetParameter Net, NetState State, string Source);

    public static (NetSource Train, List<NetSource> Tests) Resolve(SolverParameter p, string? solverPath)
    {
        int trainSources = (p.TrainNetParam != null ? 1 : 0) + (p.HasTrainNet ? 1 : 0) + (p.NetParam != null ? 1 : 0) + (p.HasNet ? 1 : 0);
        if (trainSources == 0) throw new CortadoException("the solver names no net: give net: \"train_val.prototxt\" (or train_net / net_param)");
        if (trainSources > 1) throw new CortadoException("the solver names more than one train net (net, net_param, train_net, train_net_param); keep one");

        NetParameter? generic = p.NetParam ?? (p.HasNet ? Load(p.Net, solverPath) : null);
        string genericSource = p.NetParam != null ? "net_param" : $"net file: {p.Net}";
        var trainNet = p.TrainNetParam ?? (p.HasTrainNet ? Load(p.TrainNet, solverPath) : generic!);
        string trainSource = p.TrainNetParam != null ? "train_net_param" : p.HasTrainNet ? $"train_net file: {p.TrainNet}" : genericSource;
        var trainState = MergeState(trainNet.State, p.TrainState, Phase.Train);

        var tests = new List<(NetParameter Net, string Source)>();
        tests.AddRange(p.TestNetParam.Select(n => (n, "test_net_param")));
        tests.AddRange(p.TestNet.Select(f => (Load(f, solverPath), $"test_net file: {f}")));
        int explicitTests = tests.Count;
        if (generic == null ? p.TestIter.Count != explicitTests : p.TestIter.Count < explicitTests)
            throw new CortadoException($"the solver has {explicitTests} test net(s) but {p.TestIter.Count} test_iter value(s); give one test_iter per test net");
        for (int i = explicitTests; i < p.TestIter.Count; i++) tests.Add((generic!, genericSource));
        if (p.TestState.Count > 0 && p.TestState.Count != tests.Count)
            throw new CortadoException($"the solver gives {p.TestState.Count} test_state entries for {tests.Count} test nets; give none or one per test net");
        if (p.TestInterval > 0 && tests.Count == 0)
            throw new CortadoException("test_interval is set but there is no test net: add test_iter (one per test net) or remove test_interval");

        var testSources = tests.Select((t, i) => new NetSource(t.Net, MergeState(t.Net.State, p.TestState.Count > 0 ? p.TestState[i] : null, Phase.Test), t.Source)).ToList();
        return (new NetSource(trainNet, trainState, trainSource), testSources);
    }

    private static NetState MergeState(NetState? fromNet, NetState? fromSolver, Phase phase)
    {
        var state = fromNet?.Clone() ?? new NetState();
        if (fromSolver != null) state.MergeFrom(fromSolver);
        state.Phase = phase;
        return state;
    }

    private static NetParameter Load(string path, string? solverPath)
    {
        if (File.Exists(path) || solverPath == null) return ProtoFiles.ReadNetText(path);
        string nearSolver = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(solverPath)) ?? "", path);
        if (File.Exists(nearSolver)) return ProtoFiles.ReadNetText(nearSolver);
        string byName = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(solverPath)) ?? "", Path.GetFileName(path));
        if (File.Exists(byName)) return ProtoFiles.ReadNetText(byName);
        throw new ModelFileException(path, $"file not found (the net named by solver {solverPath}; looked in the working directory and beside the solver)");
    }
}
