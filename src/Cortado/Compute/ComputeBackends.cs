using Cortado.Errors;

namespace Cortado.Compute;

/// <summary>
/// Backends by name, as a solver's <c>solver_mode</c> or the command line's --gpu asks for
/// them. Only the CPU backend exists in this build; asking for another fails with a typed
/// error that the caller can report or fall back from.
/// </summary>
public static class ComputeBackends
{
    public static ICompute Get(string name) => name.ToLowerInvariant() switch
    {
        "cpu" => CpuCompute.Instance,
        "gpu" or "cuda" => throw new BackendUnavailableException(name, "this build of Cortado has no GPU backend; train on the CPU (solver_mode: CPU)"),
        _ => throw new CortadoException($"unknown compute backend '{name}'; known: cpu"),
    };
}

/// <summary>A backend that exists in name but cannot run here (no device, or not built in).</summary>
public sealed class BackendUnavailableException(string backend, string reason)
    : CortadoException($"the {backend} backend is not available: {reason}")
{
    public string Backend { get; } = backend;
}
