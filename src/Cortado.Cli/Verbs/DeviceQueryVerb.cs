using Cortado.Compute;

namespace Cortado.Cli.Verbs;

/// <summary>Caffe's <c>caffe device_query</c>: what this build computes on. There is no GPU backend yet, so -gpu is an error naming that.</summary>
public sealed class DeviceQueryVerb : IVerb
{
    public string Name => "device-query";
    public string Summary => "show the compute device (as 'caffe device_query')";
    public string Usage => "[--gpu ID]";
    public bool IsCaffeCommand => true;
    public IReadOnlyList<Flag> Flags => [new("gpu", "GPU id; this build has no GPU backend")];

    public int Run(VerbArguments arguments, VerbConsole console)
    {
        arguments.ExpectPositional(0);
        if (arguments.Get("gpu") != null)
        {
            console.Log.Info("caffe.cs", $"Querying GPUs {arguments.Get("gpu")}");
            ComputeBackends.Get("gpu");
        }
        var cpu = CpuCompute.Instance;
        console.Out.WriteLine($"Device: CPU, {Environment.ProcessorCount} logical cores");
        console.Out.WriteLine($"Backend: {cpu.Name}");
        console.Out.WriteLine($"Vector width: {System.Numerics.Vector<float>.Count * 32} bits" +
            (System.Runtime.Intrinsics.X86.Avx512F.IsSupported ? " (AVX-512)" : System.Runtime.Intrinsics.X86.Fma.IsSupported ? " (AVX2 + FMA)" : ""));
        console.Out.WriteLine("GPU backend: none in this build");
        return 0;
    }
}
