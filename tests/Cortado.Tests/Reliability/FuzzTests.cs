using System.Text;
using Cortado.Data;
using Cortado.Keras;
using Cortado.Layers;
using Cortado.Nets;
using Cortado.Proto;
using Cortado.Solvers;
using Cortado.Tensors;
using Cortado.Tests.Interop;
using Cortado.Tests.Solvers;
using Google.Protobuf;
using Xunit.Abstractions;

namespace Cortado.Tests.Reliability;

/// <summary>It shrinks the memory a blob may take, which tests running beside it must not see.</summary>
[CollectionDefinition("fuzz", DisableParallelization = true)]
public sealed class FuzzCollection;

/// <summary>
/// Mutated nets, solvers, .caffemodel, .solverstate, .binaryproto, Datum records, LMDB files and
/// Keras JSON/HDF5 files, each read by the code that reads it: none may end in an internal error
/// or a hang. In CI the run is seeded and bounded (8,000 inputs or 50 s); the long run is
/// CORTADO_FUZZ_INPUTS=20000 dotnet test Cortado.slnx -c Release --filter FullyQualifiedName~FuzzTests
/// (CORTADO_FUZZ_SEED picks another seed; the counts are printed and written to fuzz-report.txt).
/// </summary>
[Collection("fuzz")]
public class FuzzTests(ITestOutputHelper output)
{
    [Fact]
    public void MutatedInputsOfEveryKindEndInAResultOrACleanError()
    {
        int inputs = int.TryParse(Environment.GetEnvironmentVariable("CORTADO_FUZZ_INPUTS"), out var n) ? n : 8000;
        int seed = int.TryParse(Environment.GetEnvironmentVariable("CORTADO_FUZZ_SEED"), out var s) ? s : 20261202;
        var budget = Environment.GetEnvironmentVariable("CORTADO_FUZZ_INPUTS") != null ? TimeSpan.MaxValue : TimeSpan.FromSeconds(50);

        using var dir = new TempDir();
        var kinds = Corpus(dir);
        // CORTADO_FUZZ_KINDS=net,lmdb narrows a run to some kinds.
        if (Environment.GetEnvironmentVariable("CORTADO_FUZZ_KINDS") is { Length: > 0 } only)
            kinds = kinds.Where(k => only.Split(',').Contains(k.Kind)).ToList();
        var fuzzer = new Fuzzer(seed, TimeSpan.FromSeconds(20), Path.Combine(AppContext.BaseDirectory, "fuzz-current"));
        var memory = Blob.AvailableMemory;
        long pixels = DatumImage.MaxPixels;
        // Bounded like a small machine: mutated sizes must be refused, not swapped for.
        Blob.AvailableMemory = () => 64L << 20;
        DatumImage.MaxPixels = 1 << 20;
        var watch = System.Diagnostics.Stopwatch.StartNew();
        long heapStart = 0, heapEnd = 0;
        try
        {
            // The unmutated seeds must pass, or the mutants measure nothing.
            foreach (var (kind, seeds, _, run) in kinds)
                foreach (var valid in seeds)
                {
                    try { run(valid); }
                    catch (Exception e) { Assert.Fail($"the {kind} seed fails unmutated: {e.Message}"); }
                }
            heapStart = Heap();
            for (int i = 0; i < inputs && watch.Elapsed < budget; i++)
            {
                var (kind, seeds, text, run) = kinds[i % kinds.Count];
                fuzzer.RunOne(kind, seeds, text, run);
                // Refused inputs allocate and drop large buffers; give the memory back now and then, as a long run needs.
                if (i % 100 == 99)
                {
                    System.Runtime.GCSettings.LargeObjectHeapCompactionMode = System.Runtime.GCLargeObjectHeapCompactionMode.CompactOnce;
                    GC.Collect(2, GCCollectionMode.Aggressive, blocking: true, compacting: true);
                }
            }
            heapEnd = Heap();
        }
        finally
        {
            Blob.AvailableMemory = memory;
            DatumImage.MaxPixels = pixels;
        }
        string report = fuzzer.Report() + $"in {watch.Elapsed.TotalSeconds:F0} s; managed heap {heapStart >> 20} MB before, {heapEnd >> 20} MB after, " +
            $"{System.Diagnostics.Process.GetCurrentProcess().Threads.Count} threads, working set {Environment.WorkingSet >> 20} MB " +
            $"(GC committed {GC.GetGCMemoryInfo().TotalCommittedBytes >> 20} MB)\n";
        output.WriteLine(report);
        File.WriteAllText(Path.Combine(AppContext.BaseDirectory, "fuzz-report.txt"), report);
        Assert.True(fuzzer.Runs >= 500, $"only {fuzzer.Runs} inputs ran\n{report}");
        foreach (var finding in fuzzer.Findings.Take(3))
            File.WriteAllBytes(Path.Combine(AppContext.BaseDirectory, $"fuzz-finding-{finding.Kind}-{fuzzer.Findings.IndexOf(finding)}.bin"), finding.Input);
        Assert.True(fuzzer.Findings.Count == 0, report);
        // What a refused input built (nets, reader threads, mapped databases) must not stay behind.
        Assert.True(heapEnd < heapStart + (256L << 20), report);
    }

    private static long Heap()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        return GC.GetTotalMemory(forceFullCollection: true);
    }

    private static byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text);

    /// <summary>Valid seeds of each kind, and what reads them.</summary>
    private static List<(string Kind, IReadOnlyList<byte[]> Seeds, bool Text, Action<byte[]> Run)> Corpus(TempDir dir)
    {
        string train = ResumeAndStopTests.Database(dir), test = ResumeAndStopTests.Database(dir, "test_lmdb", 20);
        string dataNet = ResumeAndStopTests.Net(train, test);
        File.WriteAllText(dir.File("net.prototxt"), dataNet);
        int counter = 0;
        string Scratch(string name) => dir.File($"{Interlocked.Increment(ref counter)}_{name}");

        // Trained weights and a solver state to mutate.
        string model, state;
        using (var solver = SolverFactory.Create(SolverTestNets.Solver(SolverTestNets.Classifier,
            $"base_lr: 0.05 lr_policy: 'fixed' momentum: 0.9 max_iter: 3 random_seed: 1 snapshot_prefix: '{dir.File("seed")}'")))
        {
            solver.Step(2);
            state = solver.Snapshot();
            model = dir.File("seed_iter_2.caffemodel");
        }
        var mean = new Blob(1, 1, 6, 6);
        mean.Data.Fill(100);
        var encoded = new Datum { Encoded = true, Label = 1 };
        using (var bitmap = new SkiaSharp.SKBitmap(6, 6, SkiaSharp.SKColorType.Gray8, SkiaSharp.SKAlphaType.Opaque))
        using (var png = bitmap.Encode(SkiaSharp.SKEncodedImageFormat.Png, 100))
            encoded.Data = ByteString.CopyFrom(png.ToArray());
        string kerasJson = File.ReadAllText(Path.Combine(RepoPaths.Root, "examples/fneishnet_numbers/keras_model.json"));
        const string denseJson = KerasBadInputTests.DenseModel;
        string denseWeights = KerasBadInputTests.Weights(dir, "np.arange(12, dtype=np.float32).reshape(4, 3)");

        return
        [
            ("net", [Utf8(SolverTestNets.Classifier), Utf8(dataNet)], true, bytes =>
            {
                string path = Scratch("net.prototxt");
                File.WriteAllBytes(path, bytes);
                using var net = new Net(ProtoFiles.ReadNetText(path), Phase.Train);
                net.ForwardBackward();
            }),
            ("solver", [Utf8($"net: '{dir.File("net.prototxt")}' {ResumeAndStopTests.SolverSettings} max_iter: 5 random_seed: 3 type: 'Adam' momentum2: 0.999 clip_gradients: 10")], true, bytes =>
            {
                string path = Scratch("solver.prototxt");
                File.WriteAllBytes(path, bytes);
                var param = ProtoFiles.ReadSolverText(path);
                // Never write snapshots where a mutated prefix points; and the work a valid config asks for
                // (two billion test batches, say) is long, not hung: a few batches show the same code paths.
                param.Snapshot = 0;
                param.SnapshotAfterTrain = false;
                for (int t = 0; t < param.TestIter.Count; t++) param.TestIter[t] = Math.Min(param.TestIter[t], 3);
                param.IterSize = Math.Min(param.IterSize, 3);
                using var solver = SolverFactory.Create(param, new SolverOptions { SolverPath = path });
                solver.Step(Math.Min(2, param.MaxIter));
            }),
            ("caffemodel", [File.ReadAllBytes(model)], false, bytes =>
            {
                string path = Scratch("w.caffemodel");
                File.WriteAllBytes(path, bytes);
                using var net = new Net(TextFormat.Parse<NetParameter>(SolverTestNets.Classifier), Phase.Test);
                net.CopyTrainedLayersFrom(ProtoFiles.ReadWeights(path), path);
                net.Forward();
            }),
            ("solverstate", [File.ReadAllBytes(state)], false, bytes =>
            {
                string path = Scratch("s.solverstate");
                File.WriteAllBytes(path, bytes);
                using var solver = SolverFactory.Create(SolverTestNets.Solver(SolverTestNets.Classifier, "base_lr: 0.05 lr_policy: 'fixed' momentum: 0.9 max_iter: 5"));
                solver.Restore(path);
                solver.Step(1);
            }),
            ("binaryproto", [mean.ToProto().ToByteArray()], false, bytes =>
            {
                string path = Scratch("mean.binaryproto");
                File.WriteAllBytes(path, bytes);
                var transformer = new DataTransformer(new TransformationParameter { MeanFile = path }, Phase.Train, new CaffeRandom(1));
                var (c, h, w) = transformer.OutputShape(1, 6, 6);
                transformer.Transform(new float[36], 1, 6, 6, new float[c * h * w]);
            }),
            ("datum", [new Datum { Channels = 1, Height = 6, Width = 6, Label = 2, Data = ByteString.CopyFrom(new byte[36]) }.ToByteArray(), encoded.ToByteArray()], false, bytes =>
            {
                var datum = DatumRecords.Parse(bytes, "fuzz", "00000000");
                var (c, h, w) = DatumImage.Shape(datum, DatumImage.ColorMode.Native, "fuzz record");
                DatumImage.Read(datum, new float[(long)c * h * w], DatumImage.ColorMode.Native, "fuzz record");
            }),
            ("lmdb", [File.ReadAllBytes(Path.Combine(train, "data.mdb"))], false, bytes =>
            {
                string folder = Scratch("lmdb");
                Directory.CreateDirectory(folder);
                File.WriteAllBytes(Path.Combine(folder, "data.mdb"), bytes);
                DatasetSummary.Read(folder);
            }),
            ("keras-json", [Utf8(kerasJson), Utf8(denseJson)], true, bytes =>
            {
                var model = KerasModelJson.Parse(Encoding.UTF8.GetString(bytes), "fuzz.json");
                model.ParamCount();
                using var net = new Net(model.ToDeployNet(1), Phase.Test);
            }),
            ("keras-h5", [File.ReadAllBytes(denseWeights)], false, bytes =>
            {
                string path = Scratch("w.h5");
                File.WriteAllBytes(path, bytes);
                KerasModelJson.Parse(denseJson).LoadWeights(path);
            }),
        ];
    }
}
