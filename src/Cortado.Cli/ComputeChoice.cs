using Cortado.Cli.Verbs;
using Cortado.Compute;
using Cortado.Errors;
using Cortado.Gpu;
using Cortado.Logging;
using Cortado.Proto;

namespace Cortado.Cli;

/// <summary>
/// The backend a verb computes on, chosen as Caffe's tool chooses: <c>--gpu N</c> (Caffe's
/// -gpu) wins; then <c>--backend cpu|gpu|emulated</c> or CORTADO_BACKEND; then a solver file that
/// says <c>solver_mode: GPU</c> (with its device_id). A GPU asked for on the command line must be
/// there (one clear error otherwise); a solver file's GPU falls back to the CPU with one warning,
/// so Caffe's files still run on a machine without one. Disposing releases the device.
/// </summary>
internal sealed class ComputeChoice : IDisposable
{
    public static readonly Flag GpuFlag = new("gpu", "run on CUDA device N (as caffe -gpu); 'all' or a list uses the first");
    public static readonly Flag BackendFlag = new("backend", "cpu, gpu or emulated (the GPU kernels on ILGPU's CPU accelerator); default CORTADO_BACKEND, else cpu");

    private ComputeChoice(ICompute compute) => Compute = compute;

    public ICompute Compute { get; }

    public static ComputeChoice For(VerbArguments arguments, CaffeLog log, SolverParameter? solver = null)
    {
        string? gpu = arguments.Get("gpu");
        string? backend = arguments.Get("backend") ?? Environment.GetEnvironmentVariable("CORTADO_BACKEND");
        if (backend != null && !ComputeBackends.Names.Contains(backend.ToLowerInvariant()) && backend.ToLowerInvariant() != "cuda")
            throw new CortadoException($"unknown compute backend '{backend}' (from {(arguments.Get("backend") != null ? "--backend" : "CORTADO_BACKEND")}); known: {string.Join(", ", ComputeBackends.Names)}");
        bool emulated = backend?.ToLowerInvariant() == "emulated";
        if (gpu != null) return Open(emulated ? "emulated" : "gpu", DeviceId(gpu, log), log);
        if (backend != null) return Open(backend, solver?.DeviceId ?? 0, log);
        if (solver is { HasSolverMode: true, SolverMode: SolverParameter.Types.SolverMode.Gpu })
        {
            try
            {
                return Open("gpu", solver.DeviceId, log);
            }
            catch (BackendUnavailableException e)
            {
                log.Warning("caffe.cs", $"solver_mode is GPU, but {e.Message}; training on the CPU (set solver_mode: CPU to say so)");
            }
        }
        return Open("cpu", 0, log);
    }

    private static ComputeChoice Open(string backend, int deviceId, CaffeLog log)
    {
        var compute = ComputeBackends.Open(backend, deviceId);
        if (compute is GpuCompute device)
        {
            // Caffe's lines, so scripts that read the log see the device.
            log.Info("caffe.cs", device.IsEmulated ? $"Use GPU with device ID {deviceId} ({device.Name})" : $"Use GPU with device ID {deviceId}");
            log.Info("common.cs", $"Device id: {deviceId}, name: {device.Device.Name}");
            if (device.GemmFallbackReason != null && !device.IsEmulated)
                log.Warning("gpu.cs", $"cuBLAS is not used ({device.GemmFallbackReason}): GEMMs run on Cortado's own kernel");
        }
        else log.Info("caffe.cs", $"Use CPU ({compute.Name}).");
        return new ComputeChoice(compute);
    }

    /// <summary>Caffe's -gpu value: an id, a comma list, or 'all'; Cortado runs one device per process (MPI spreads a run over several).</summary>
    private static int DeviceId(string value, CaffeLog log)
    {
        string[] ids = value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (value.Trim() == "all" || ids.Length > 1)
            log.Warning("caffe.cs", $"--gpu {value}: Cortado runs one GPU per process; using device {(ids.Length > 1 ? ids[0] : "0")} (run under mpirun for more)");
        if (value.Trim() == "all") return 0;
        if (ids.Length == 0 || !int.TryParse(ids[0], out int id) || id < 0)
            throw new CortadoException($"--gpu: expected a device id (0, 1, ...), a comma-separated list or 'all', got '{value}'");
        return id;
    }

    public void Dispose() => (Compute as IDisposable)?.Dispose();
}
