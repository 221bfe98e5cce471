using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Cortado.Gpu;
using Cortado.GpuCheck;

// The GPU device check (bench/gpu/check.sh runs it on the GPU machine): every layer against the
// CPU backend, then training images/s against PyTorch with CUDA, then the GEMM-bound layers
// against the backend's own GEMM (cuBLAS). `--backend emulated --quick` runs it here, on ILGPU's
// CPU accelerator, at a fraction of the sizes, to show the format.
CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
string backend = Option("--backend") ?? "gpu";
bool quick = args.Contains("--quick");
string? python = Option("--python");
double seconds = quick ? 1 : 5;
int scale = quick ? 16 : 1;

GpuCompute gpu;
try
{
    gpu = (GpuCompute)ComputeBackends.Open(backend, int.Parse(Option("--device") ?? "0"));
}
catch (Cortado.Compute.BackendUnavailableException e)
{
    Console.Error.WriteLine($"gpu check: {e.Message}");
    return 2;
}
using var device0 = gpu;
var device = gpu.Device;
Console.WriteLine($"# Cortado GPU check: {device.Name}, {device.MemoryBytes / (1L << 30)} GiB, compute capability {device.ComputeCapability}, {device.Driver}");
Console.WriteLine($"GEMMs: {gpu.GemmFallbackReason ?? "cuBLAS"}{(quick ? "; quick run: batches divided by 16, 1 s per row" : "")}");
Console.WriteLine();

Console.WriteLine("## Layers against the CPU backend");
int disagreeing = LayerAgreement.Run(gpu, Console.Out);
Console.WriteLine();

Console.WriteLine("## Training, images/s");
var peer = python != null ? Peer(python, quick) : null;
Console.WriteLine($"| net | Cortado | PyTorch {(peer?.GetProperty("torch").GetString() ?? "(not run)")} | Cortado / PyTorch |");
Console.WriteLine("| --- | --- | --- | --- |");
var nets = new (string Key, TrainingNet Net)[]
{
    ("seed128", TrainingNet.Seed(128 / scale)), ("seed1024", TrainingNet.Seed(1024 / scale)),
    ("cifar100", TrainingNet.Cifar(100 / scale)), ("lenet64", TrainingNet.LeNet(64 / scale)),
};
foreach (var (key, net) in nets)
{
    double ours = Throughput.TrainingImagesPerSecond(net, gpu, seconds);
    double? theirs = peer?.GetProperty(key).GetDouble();
    Console.WriteLine($"| {net.Name} | {ours:F0} | {(theirs is { } t ? $"{t:F0}" : "-")} | {(theirs is { } r ? $"{ours / r:F2}x" : "-")} |");
}
Console.WriteLine();

Console.WriteLine("## GEMM-bound layers against the backend's GEMM on the whole-batch product (target: at least 40%)");
Console.WriteLine("| net | layer | product M x N x K | layer GFLOP/s (forward + backward) | GEMM GFLOP/s | share |");
Console.WriteLine("| --- | --- | --- | --- | --- | --- |");
foreach (var (_, net) in new[] { nets[0], nets[2] })
    foreach (var row in Throughput.GemmBoundLayers(net, gpu, quick ? 2 : 20))
        Console.WriteLine($"| {net.Name} | {row.Layer} | {row.Shape} | {row.LayerGflops:F1} | {row.GemmGflops:F1} | {row.LayerGflops / row.GemmGflops:P0} |");
Console.WriteLine();
Console.WriteLine(disagreeing == 0 ? "every layer agrees with the CPU backend" : $"{disagreeing} layers disagree with the CPU backend");
return disagreeing == 0 ? 0 : 1;

string? Option(string name)
{
    int at = Array.IndexOf(args, name);
    return at >= 0 && at + 1 < args.Length ? args[at + 1] : null;
}

// bench/gpu/torch_cuda.py: the same four nets in PyTorch on the GPU, one JSON line of images/s.
static JsonElement? Peer(string python, bool quick)
{
    string script = Path.Combine(AppContext.BaseDirectory, "torch_cuda.py");
    var start = new ProcessStartInfo(python) { RedirectStandardOutput = true, RedirectStandardError = true };
    start.ArgumentList.Add(script);
    if (quick) start.ArgumentList.Add("--quick");
    using var process = Process.Start(start)!;
    var error = process.StandardError.ReadToEndAsync();
    string output = process.StandardOutput.ReadToEnd();
    process.WaitForExit();
    if (process.ExitCode != 0)
    {
        Console.WriteLine($"(the PyTorch peer failed: {error.Result.Trim().Split('\n')[^1]})");
        return null;
    }
    return JsonDocument.Parse(output.Trim().Split('\n')[^1]).RootElement.Clone();
}
