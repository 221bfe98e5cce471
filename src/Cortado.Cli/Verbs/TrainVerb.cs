using System.Runtime.InteropServices;
using Cortado.Compute;
using Cortado.Errors;
using Cortado.Monitoring;
using Cortado.Proto;
using Cortado.Solvers;

namespace Cortado.Cli.Verbs;

/// <summary>
/// Caffe's <c>caffe train</c>: trains from a solver prototxt, from scratch, from --weights
/// (comma-separated .caffemodel files, fine-tuning) or resuming a --snapshot .solverstate.
/// SIGINT and SIGTERM stop after the current iteration with a snapshot; SIGHUP snapshots and
/// goes on (Caffe's -sigint_effect/-sighup_effect defaults, both settable). Under
/// <c>mpirun -np N</c> it trains data-parallel: rank 0 logs, tests and snapshots, the others stay
/// quiet, and a signal is left to mpirun, which ends every rank (the last snapshot is whole).
/// With --dashboard the run is watched live in the browser (rank 0 serves it).
/// </summary>
public sealed class TrainVerb : IVerb
{
    public string Name => "train";
    public string Summary => "train a net from a solver prototxt (as 'caffe train')";
    public string Usage => "--solver S.prototxt [--weights A.caffemodel[,B.caffemodel]] [--snapshot S.solverstate] [--stop_at N] [--threads T] [--gpu N] [--backend cpu|gpu|emulated]";
    public bool IsCaffeCommand => true;
    public IReadOnlyList<Flag> Flags =>
    [
        new("solver", "the solver prototxt"),
        new("weights", "comma-separated .caffemodel files to start from (fine-tuning)"),
        new("snapshot", "a .solverstate to resume from"),
        new("stop_at", "stop at iteration N with a snapshot, as a SIGINT would; the learning-rate schedule stays the solver's (a look at a long run)"),
        new("threads", "compute threads (default: all cores)"),
        new("sigint_effect", "stop (default), snapshot or none: what SIGINT/SIGTERM do"),
        new("sighup_effect", "snapshot (default), stop or none: what SIGHUP does"),
        ComputeChoice.GpuFlag,
        ComputeChoice.BackendFlag,
        new("stage", "comma-separated stages of the train net's state (as caffe train -stage)"),
        new("level", "the train net's level (as caffe train -level)"),
        new("check_weights", "under mpirun: every N iterations, check that all ranks hold bit-identical weights"),
        DashboardSession.PortFlag,
        DashboardSession.HostFlag,
    ];

    public int Run(VerbArguments arguments, VerbConsole console)
    {
        arguments.ExpectPositional(0);
        string solverPath = arguments.Require("solver");
        string? weights = arguments.Get("weights"), snapshot = arguments.Get("snapshot");
        if (weights != null && snapshot != null)
            throw new CortadoException("train: give --weights or --snapshot, not both (a snapshot already holds its weights)");
        ComputeSettings.Threads = arguments.GetInt("threads", ComputeSettings.Threads);
        var onInterrupt = ParseEffect(arguments.Get("sigint_effect") ?? "stop", "sigint_effect");
        var onHangup = ParseEffect(arguments.Get("sighup_effect") ?? "snapshot", "sighup_effect");

        using var communicator = Distributed.MpiCommunicator.ForThisProcess();
        using var dashboard = communicator.Rank == 0 ? DashboardSession.StartIfAsked(arguments, console, Name) : null;
        var log = communicator.Rank == 0 ? console.Log : Logging.CaffeLog.Null;
        var param = ProtoFiles.ReadSolverText(solverPath);
        // As caffe train: -level and -stage set the train net's state.
        if (arguments.Get("level") != null || arguments.Get("stage") != null)
        {
            param.TrainState ??= new NetState();
            param.TrainState.Level = arguments.GetInt("level", 0);
            param.TrainState.Stage.Clear();
            param.TrainState.Stage.AddRange((arguments.Get("stage") ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries));
        }
        using var choice = ComputeChoice.For(arguments, log, param);
        using var solver = SolverFactory.Create(param, new SolverOptions
        {
            SolverPath = solverPath, Log = log, Communicator = communicator, CheckWeightsEvery = arguments.GetInt("check_weights", 0), Compute = choice.Compute,
        });
        if (weights != null)
        {
            foreach (var file in weights.Split(',', StringSplitOptions.RemoveEmptyEntries))
            {
                log.Info("caffe.cs", $"Finetuning from {file}");
                var trained = ProtoFiles.ReadWeights(file);
                solver.Net.CopyTrainedLayersFrom(trained, file);
            }
        }
        if (snapshot != null) _ = ProtoFiles.ReadSolverState(snapshot); // fail before any work on a bad file

        using var progress = communicator.Rank == 0 ? ProgressLine.ForStandardError(solver) : null;
        int? stopAt = arguments.Get("stop_at") != null ? arguments.GetInt("stop_at", 0) : null;
        if (dashboard == null)
        {
            Train(solver, snapshot, stopAt, communicator.Size == 1, onInterrupt, onHangup);
            return 0;
        }
        var run = TrainingMonitor.NewRun(solver);
        dashboard.Catalog.Add(run);
        using var monitor = new TrainingMonitor(solver, run);
        try { monitor.Run(() => Train(solver, snapshot, stopAt, communicator.Size == 1, onInterrupt, onHangup)); }
        finally { dashboard.HoldForPerson(); }
        return 0;
    }

    /// <summary>Solves with the signals as Caffe has them; under mpirun (not single) signals are left to mpirun.</summary>
    private static void Train(Solver solver, string? snapshot, int? stopAt, bool single, SolverAction onInterrupt, SolverAction onHangup)
    {
        // One rank stopping alone would leave the others waiting in a sum; under mpirun, signals end the job.
        using var interrupt = single ? PosixSignalRegistration.Create(PosixSignal.SIGINT, c => { c.Cancel = true; solver.Request(onInterrupt); }) : null;
        using var terminate = single ? PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = true; solver.Request(onInterrupt); }) : null;
        using var hangup = single ? PosixSignalRegistration.Create(PosixSignal.SIGHUP, c => { c.Cancel = true; solver.Request(onHangup); }) : null;
        solver.Solve(snapshot, stopAt);
    }

    private static SolverAction ParseEffect(string text, string flag) => text switch
    {
        "stop" => SolverAction.Stop,
        "snapshot" => SolverAction.Snapshot,
        "none" => SolverAction.None,
        _ => throw new CortadoException($"train: --{flag} must be stop, snapshot or none, got '{text}'"),
    };
}
