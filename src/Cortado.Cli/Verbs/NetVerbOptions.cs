using Cortado.Compute;
using Cortado.Errors;
using Cortado.Proto;

namespace Cortado.Cli.Verbs;

/// <summary>The options Caffe's net-running verbs share: iterations, stages and level, threads, and the backend (--gpu, --backend; see ComputeChoice).</summary>
internal static class NetVerbOptions
{
    public static readonly Flag[] Flags =
    [
        new("iterations", "iterations to run (default 50)"),
        new("stage", "comma-separated net stages"),
        new("level", "net level (default 0)"),
        new("threads", "compute threads (default: all cores)"),
        ComputeChoice.GpuFlag,
        ComputeChoice.BackendFlag,
    ];

    /// <summary>Applies --threads, and returns --iterations (positive) and the net state for the phase.</summary>
    public static (int Iterations, NetState State) Read(VerbArguments arguments, string verb, Phase phase)
    {
        int iterations = arguments.GetInt("iterations", 50);
        if (iterations <= 0) throw new CortadoException($"{verb}: --iterations must be positive, got {iterations}");
        ComputeSettings.Threads = arguments.GetInt("threads", ComputeSettings.Threads);
        var state = new NetState { Phase = phase, Level = arguments.GetInt("level", 0) };
        state.Stage.AddRange((arguments.Get("stage") ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries));
        return (iterations, state);
    }
}
