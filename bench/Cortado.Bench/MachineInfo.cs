using System.Runtime.Intrinsics.X86;

namespace Cortado.Bench;

/// <summary>The CPU a figure was measured on, for every benchmark's header: a figure holds for its CPU only.</summary>
internal static class MachineInfo
{
    /// <summary>"AMD EPYC (family 25, model 17), 2 cores, AVX-512": /proc/cpuinfo's name and model numbers and the widest vectors in use.</summary>
    public static string Describe()
    {
        var fields = File.Exists("/proc/cpuinfo")
            ? File.ReadLines("/proc/cpuinfo").TakeWhile(l => l.Length > 0).Select(l => l.Split(':', 2)).Where(p => p.Length == 2)
                .GroupBy(p => p[0].Trim()).ToDictionary(g => g.Key, g => g.First()[1].Trim())
            : [];
        string name = fields.GetValueOrDefault("model name", "unknown CPU");
        string model = fields.TryGetValue("cpu family", out var family) && fields.TryGetValue("model", out var number) ? $" (family {family}, model {number})" : "";
        return $"{name}{model}, {Environment.ProcessorCount} cores, {VectorWidth}";
    }

    public static string VectorWidth =>
        Avx512F.IsSupported ? "AVX-512" :
        Avx2.IsSupported && Fma.IsSupported ? (HasAvx512Flag ? "AVX2 + FMA (AVX-512 turned off, DOTNET_EnableAVX512=0)" : "AVX2 + FMA (no AVX-512)") :
        Avx2.IsSupported ? "AVX2" : "no AVX2";

    /// <summary>Whether the processor has AVX-512 even where .NET was told not to use it.</summary>
    private static bool HasAvx512Flag =>
        File.Exists("/proc/cpuinfo") && File.ReadLines("/proc/cpuinfo").Any(l => l.StartsWith("flags", StringComparison.Ordinal) && l.Contains(" avx512f", StringComparison.Ordinal));
}
