using Cortado.Compute;
using Cortado.Errors;

namespace Cortado.Gpu;

/// <summary>
/// Backends by name, as the command line's --backend and --gpu and a solver's solver_mode ask for
/// them: "cpu", "gpu" (CUDA device <c>deviceId</c>) and "emulated" (the GPU kernels on ILGPU's CPU
/// accelerator). A GPU that cannot run here fails with <see cref="BackendUnavailableException"/>,
/// which a caller reports or falls back from.
/// </summary>
public static class ComputeBackends
{
    public static readonly string[] Names = ["cpu", "gpu", "emulated"];

    public static ICompute Open(string name, int deviceId = 0) => name.ToLowerInvariant() switch
    {
        "cpu" => CpuCompute.Instance,
        "gpu" or "cuda" => GpuCompute.Cuda(deviceId),
        "emulated" => GpuCompute.Emulated(),
        _ => throw new CortadoException($"unknown compute backend '{name}'; known: {string.Join(", ", Names)}"),
    };
}
