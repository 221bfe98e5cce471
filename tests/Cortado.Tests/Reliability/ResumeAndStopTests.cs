using System.Text.RegularExpressions;
using Cortado.Data;
using Cortado.Errors;
using Cortado.Logging;
using Cortado.Proto;
using Cortado.Solvers;
using Cortado.Tests.Solvers;
using Google.Protobuf;

namespace Cortado.Tests.Reliability;

/// <summary>
/// A resumed run equals the uninterrupted one line for line, data layers and random streams
/// included; stops are honoured inside a test pass; what a killed run leaves behind is cleaned
/// up or explained.
/// </summary>
public class ResumeAndStopTests
{
    /// <summary>60 labelled 1 x 6 x 6 images: with batch 8 the cursor wraps every 7.5 batches.</summary>
    internal static string Database(TempDir dir, string name = "train_lmdb", int count = 60)
    {
        string path = dir.File(name);
        using var writer = new LmdbWriter(path);
        var random = new Random(3);
        for (int i = 0; i < count; i++)
        {
            var pixels = new byte[36];
            random.NextBytes(pixels);
            writer.Put(i.ToString("D8"), new Datum { Channels = 1, Height = 6, Width = 6, Label = i % 3, Data = ByteString.CopyFrom(pixels) }.ToByteArray());
        }
        writer.Complete();
        return path;
    }

    /// <summary>Data layers with random crops and mirrors, dropout, momentum: every source of state a resume must carry.</summary>
    internal static string Net(string train, string test) => $$"""
        name: "resumable"
        layer { name: "data" type: "Data" top: "data" top: "label" include { phase: TRAIN }
          transform_param { scale: 0.00390625 mirror: true crop_size: 5 } data_param { source: "{{train}}" batch_size: 8 backend: LMDB } }
        layer { name: "data" type: "Data" top: "data" top: "label" include { phase: TEST }
          transform_param { scale: 0.00390625 crop_size: 5 } data_param { source: "{{test}}" batch_size: 7 backend: LMDB } }
        layer { name: "conv" type: "Convolution" bottom: "data" top: "conv" convolution_param { num_output: 4 kernel_size: 3 weight_filler { type: "xavier" } } }
        layer { name: "relu" type: "ReLU" bottom: "conv" top: "conv" }
        layer { name: "drop" type: "Dropout" bottom: "conv" top: "conv" }
        layer { name: "fc" type: "InnerProduct" bottom: "conv" top: "fc" inner_product_param { num_output: 3 weight_filler { type: "xavier" } } }
        layer { name: "loss" type: "SoftmaxWithLoss" bottom: "fc" bottom: "label" top: "loss" }
        layer { name: "accuracy" type: "Accuracy" bottom: "fc" bottom: "label" top: "accuracy" include { phase: TEST } }
        """;

    /// <summary>The same net on ImageData layers: a shuffled list of 12 small gray PNGs, random crops and mirrors.</summary>
    private static string ImageNet(TempDir dir)
    {
        var random = new Random(9);
        var lines = new List<string>();
        for (int i = 0; i < 12; i++)
        {
            using var bitmap = new SkiaSharp.SKBitmap(new SkiaSharp.SKImageInfo(6, 6, SkiaSharp.SKColorType.Gray8, SkiaSharp.SKAlphaType.Opaque));
            for (int y = 0; y < 6; y++) for (int x = 0; x < 6; x++) { byte v = (byte)random.Next(256); bitmap.SetPixel(x, y, new SkiaSharp.SKColor(v, v, v)); }
            using var png = bitmap.Encode(SkiaSharp.SKEncodedImageFormat.Png, 100);
            File.WriteAllBytes(dir.File($"img{i}.png"), png.ToArray());
            lines.Add($"img{i}.png {i % 3}");
        }
        File.WriteAllLines(dir.File("list.txt"), lines);
        string layers = Net("unused", "unused");
        layers = layers[layers.IndexOf("layer { name: \"conv\"", StringComparison.Ordinal)..];
        return $$"""
            name: "resumable_images"
            layer { name: "data" type: "ImageData" top: "data" top: "label" include { phase: TRAIN }
              transform_param { scale: 0.00390625 mirror: true crop_size: 5 }
              image_data_param { source: "{{dir.File("list.txt")}}" root_folder: "{{dir.Path}}/" batch_size: 5 shuffle: true is_color: false } }
            layer { name: "data" type: "ImageData" top: "data" top: "label" include { phase: TEST }
              transform_param { scale: 0.00390625 crop_size: 5 }
              image_data_param { source: "{{dir.File("list.txt")}}" root_folder: "{{dir.Path}}/" batch_size: 4 is_color: false } }
            {{layers}}
            """;
    }

    internal const string SolverSettings = "base_lr: 0.05 lr_policy: 'fixed' momentum: 0.9 display: 1 average_loss: 3 test_iter: 3 test_interval: 4 ";

    /// <summary>The results a log gives per iteration, timing removed: what must repeat exactly.</summary>
    internal static List<string> Results(string log, int from) =>
        log.Split('\n').Select(line => line.IndexOf("] ", StringComparison.Ordinal) is int at and >= 0 ? line[(at + 2)..] : "")
            .Select(message => Regex.Replace(message, @" \([\d.e+-]+ iter/s, [\d.e+-]+s/\d+ iters\)", ""))
            .Where(message => Regex.IsMatch(message, @"^(Iteration \d+(, loss| \(|, lr|, Testing)|    (Train|Test) net output)"))
            .SkipWhile(message => !message.StartsWith($"Iteration {from}", StringComparison.Ordinal))
            .ToList();

    private static Solver Create(string net, string settings, StringWriter log) =>
        SolverFactory.Create(SolverTestNets.Solver(net, SolverSettings + settings), new SolverOptions { Log = new CaffeLog(log) });

    [Theory]
    [InlineData("Data")]
    [InlineData("ImageData")]
    public void AResumedRunWithDataLayersEqualsTheUninterruptedRunLineForLine(string layer)
    {
        using var dir = new TempDir();
        string net = layer == "Data" ? Net(Database(dir), Database(dir, "test_lmdb", 20)) : ImageNet(dir);
        var whole = new StringWriter();
        using (var solver = Create(net, $"max_iter: 13 random_seed: 7 snapshot_prefix: '{dir.File("whole")}'", whole)) solver.Solve();

        var first = new StringWriter();
        string state;
        using (var solver = Create(net, $"max_iter: 13 random_seed: 7 snapshot_prefix: '{dir.File("part")}'", first))
        {
            solver.Step(6);
            state = solver.Snapshot();
        }
        // The second half knows no seed of its own (-1: the clock's): the snapshot's must be used.
        var second = new StringWriter();
        using (var solver = Create(net, $"max_iter: 13 random_seed: -1 snapshot_prefix: '{dir.File("part")}'", second)) solver.Solve(state);

        var expected = Results(whole.ToString(), from: 6);
        var resumed = Results(second.ToString(), from: 6);
        Assert.True(expected.Count > 20, string.Join("\n", expected));
        Assert.Equal(expected, resumed);
    }

    [Fact]
    public void ASolverStateStillReadsAsCaffesSolverState()
    {
        using var dir = new TempDir();
        string net = Net(Database(dir), Database(dir, "test_lmdb", 20));
        using var solver = Create(net, $"max_iter: 3 random_seed: 7 snapshot_prefix: '{dir.File("s")}'", new StringWriter());
        solver.Step(3);
        var state = ProtoFiles.ReadSolverState(solver.Snapshot());
        Assert.Equal(3, state.Iter);
        Assert.Equal(["train/data", "test0/data"], state.CortadoResume.Data.Select(d => $"{d.Net}/{d.Layer}"));
        Assert.Equal(24, state.CortadoResume.Data[0].Consumed);
        // Caffe's reader knows fields 1-4 only; the extension must not disturb them.
        var caffeView = SolverState.Parser.WithDiscardUnknownFields(true).ParseFrom(state.ToByteArray());
        Assert.Equal((state.Iter, state.LearnedNet, state.History.Count), (caffeView.Iter, caffeView.LearnedNet, caffeView.History.Count));
    }

    [Fact]
    public void AStopAskedForDuringATestPassEndsItWithinABatchAndSnapshots()
    {
        using var dir = new TempDir();
        string net = Net(Database(dir), Database(dir, "test_lmdb", 20));
        var log = new StringWriter();
        using var solver = SolverFactory.Create(
            SolverTestNets.Solver(net, $"base_lr: 0.05 lr_policy: 'fixed' max_iter: 10 test_iter: 100000000 test_interval: 5 test_initialization: true random_seed: 1 snapshot_prefix: '{dir.File("s")}'"),
            new SolverOptions { Log = new CaffeLog(TextWriter.Synchronized(log)) });
        using var timer = new Timer(_ => solver.Request(SolverAction.Stop), null, 300, Timeout.Infinite);
        var watch = System.Diagnostics.Stopwatch.StartNew();
        solver.Solve();
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(30), $"took {watch.Elapsed}");
        string text = log.ToString();
        Assert.Contains("] Test interrupted.", text);
        Assert.Contains("] Optimization stopped early.", text);
        Assert.Equal(0, solver.Iter);
        Assert.True(File.Exists(dir.File("s_iter_0.solverstate")), text);
    }

    [Fact]
    public void PartialSnapshotsOfAKilledRunAreRemovedAtTheNextStart()
    {
        using var dir = new TempDir();
        string dead = dir.File($".s_iter_40.caffemodel.{int.MaxValue - 1}.0123456789abcdef.tmp");
        string mine = dir.File($".s_iter_40.caffemodel.{Environment.ProcessId}.0123456789abcdef.tmp");
        string other = dir.File($".other_iter_40.caffemodel.{int.MaxValue - 1}.0123456789abcdef.tmp");
        foreach (var file in new[] { dead, mine, other }) File.WriteAllText(file, "partial");
        var log = new StringWriter();
        using var solver = SolverFactory.Create(SolverTestNets.Solver(SolverTestNets.Linear, $"base_lr: 0.01 lr_policy: 'fixed' max_iter: 1 snapshot_prefix: '{dir.File("s")}'"),
            new SolverOptions { Log = new CaffeLog(log) });
        solver.Solve();
        Assert.False(File.Exists(dead));
        Assert.True(File.Exists(mine), "a write of a running process is left alone");
        Assert.True(File.Exists(other), "files of another prefix are left alone");
        Assert.Contains($"Removed {dead}, a partial snapshot", log.ToString());
    }

    [Fact]
    public void ResumingFromASolverStateThatWasNeverWrittenSaysWhy()
    {
        using var dir = new TempDir();
        File.WriteAllBytes(dir.File("s_iter_8.caffemodel"), [1]);
        using var solver = SolverFactory.Create(SolverTestNets.Solver(SolverTestNets.Linear, "base_lr: 0.01 lr_policy: 'fixed' max_iter: 10"));
        var error = Assert.Throws<ModelFileException>(() => solver.Restore(dir.File("s_iter_8.solverstate")));
        Assert.Contains("stopped between writing the weights and the solver state", error.Message);
    }

    [Fact]
    public void AnHdf5SnapshotOnAFullDiskIsAnIoErrorNamingTheFile()
    {
        // /dev/full fails every write with ENOSPC, as a full disk does; PureHDF reports it wrapped in a reflection exception.
        var file = new PureHDF.H5File { ["data"] = new PureHDF.H5Group { ["x"] = new float[1 << 16] } };
        var error = Assert.Throws<IOException>(() => Cortado.IO.Hdf5Snapshots.WriteFile(file, "/dev/full", "run_iter_9.caffemodel.h5"));
        Assert.StartsWith("cannot write run_iter_9.caffemodel.h5: ", error.Message);
    }

    [Fact]
    public void UpgradeNetRefusesAnEmptyFileAndDamagedText()
    {
        using var dir = new TempDir();
        File.WriteAllBytes(dir.File("empty.caffemodel"), []);
        var error = new StringWriter();
        Assert.Equal(1, Cortado.Cli.CommandLine.Run(["upgrade-net", dir.File("empty.caffemodel"), dir.File("out.caffemodel")], new StringWriter(), error));
        Assert.Contains("holds no layers", error.ToString());
        Assert.False(File.Exists(dir.File("out.caffemodel")));

        // A layer name with a byte that is not UTF-8, in a binary net and in a prototxt.
        var net = new NetParameter { Name = "n" };
        net.Layer.Add(new LayerParameter { Name = "conv", Type = "ReLU" });
        byte[] bytes = net.ToByteArray();
        int at = bytes.AsSpan().IndexOf("conv"u8);
        bytes[at + 1] = 0xC3; // a lead byte followed by an ASCII byte: invalid
        File.WriteAllBytes(dir.File("bad.caffemodel"), bytes);
        error = new StringWriter();
        Assert.Equal(1, Cortado.Cli.CommandLine.Run(["upgrade-net", dir.File("bad.caffemodel"), dir.File("out.caffemodel")], new StringWriter(), error));
        Assert.Contains("is not a valid binary NetParameter", error.ToString());
        Assert.Contains("String is invalid UTF-8", error.ToString());

        File.WriteAllBytes(dir.File("bad.prototxt"), [.. "layer { name: \"c"u8, 0xFF, .. "\" type: \"ReLU\" }"u8]);
        error = new StringWriter();
        Assert.Equal(1, Cortado.Cli.CommandLine.Run(["upgrade-net", dir.File("bad.prototxt"), dir.File("out.prototxt")], new StringWriter(), error));
        Assert.Contains("is not valid UTF-8 text (at byte 16)", error.ToString());
    }

    [Fact]
    public void FileSystemErrorsNameTheFileAndWhatIsWrong()
    {
        var device = Assert.Throws<ModelFileException>(() => ProtoFiles.ReadWeights("/dev/zero"));
        Assert.Contains("/dev/zero", device.Message);
        Assert.Contains("not a regular file", device.Message);

        using var dir = new TempDir();
        File.WriteAllText(dir.File("blocker"), "a file where a folder should be");
        var blocked = Assert.Throws<IOException>(() => Cortado.IO.AtomicFile.WriteAllText(dir.File("blocker/run/s_iter_1.caffemodel"), "x"));
        Assert.Contains($"{dir.File("blocker")} is a file, not a folder", blocked.Message);
    }
}
