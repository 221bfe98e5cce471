using Cortado.Compute;
using Cortado.Gpu;

namespace Cortado.Cli.Verbs;

/// <summary>
/// Caffe's <c>caffe device_query</c>: the CUDA devices (or the one --gpu names) with their name,
/// memory, compute capability and driver, after a line on the CPU backend. With no CUDA device it
/// says so and exits 1, as a script checking for a GPU expects. <c>--backend emulated</c> shows
/// the emulated GPU instead.
/// </summary>
public sealed class DeviceQueryVerb : IVerb
{
    public string Name => "device-query";
    public string Summary => "show the CUDA devices (as 'caffe device_query')";
    public string Usage => "[--gpu ID] [--backend emulated]";
    public bool IsCaffeCommand => true;
    public IReadOnlyList<Flag> Flags => [new("gpu", "the device to show (default: all)"), new("backend", "emulated: show the emulated GPU")];

    public int Run(VerbArguments arguments, VerbConsole console)
    {
        arguments.ExpectPositional(0);
        console.Out.WriteLine($"CPU: {Environment.ProcessorCount} logical cores, {CpuCompute.Instance.Name}, " +
            $"{System.Numerics.Vector<float>.Count * 32}-bit vectors" +
            (System.Runtime.Intrinsics.X86.Avx512F.IsSupported ? " (AVX-512)" : System.Runtime.Intrinsics.X86.Fma.IsSupported ? " (AVX2 + FMA)" : ""));
        if ((arguments.Get("backend") ?? Environment.GetEnvironmentVariable("CORTADO_BACKEND"))?.ToLowerInvariant() == "emulated")
        {
            using var emulated = GpuCompute.Emulated();
            Print(console, 0, emulated.Device);
            return 0;
        }
        string? only = arguments.Get("gpu");
        if (only != null) console.Log.Info("caffe.cs", $"Querying GPUs {only}");
        var devices = GpuDeviceInfo.CudaDevices();
        if (devices.Count == 0)
        {
            console.Out.WriteLine("no CUDA device");
            return 1;
        }
        int shown = 0;
        for (int id = 0; id < devices.Count; id++)
            if (only == null || only == "all" || only.Split(',').Contains(id.ToString())) { Print(console, id, devices[id]); shown++; }
        if (shown > 0) return 0;
        console.Out.WriteLine($"no CUDA device {only}; this machine has {devices.Count} (0 to {devices.Count - 1})");
        return 1;
    }

    private static void Print(VerbConsole console, int id, GpuDeviceInfo device)
    {
        console.Out.WriteLine($"Device id: {id}");
        foreach (var line in device.Lines()) console.Out.WriteLine(line);
    }
}
