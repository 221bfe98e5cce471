using Cortado.Bench;

// Cortado's benchmarks: `dotnet run -c Release --project bench/Cortado.Bench -- <name>`.
var benchmarks = new Dictionary<string, Func<string[], int>>
{
    ["gemm"] = GemmBenchmark.Run,
    ["conv"] = ConvolutionBenchmark.Run,
    ["pool"] = PoolingBenchmark.Run,
    ["data"] = DataBenchmark.Run,
    ["perf"] = PerfBenchmark.Run,
    ["mpi"] = MpiBenchmark.Run,
    ["dashboard"] = DashboardBenchmark.Run,
};
if (args.Length == 0 || !benchmarks.TryGetValue(args[0], out var run))
{
    Console.Error.WriteLine($"usage: Cortado.Bench <{string.Join("|", benchmarks.Keys)}>");
    return 1;
}
return run(args[1..]);
