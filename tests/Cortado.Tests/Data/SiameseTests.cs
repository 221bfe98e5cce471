using Cortado.Cli;
using Cortado.Data;
using Cortado.Proto;
using Cortado.Solvers;

namespace Cortado.Tests.Data;

/// <summary>
/// Caffe's siamese example on the real Fashion-MNIST test set: convert-idx --siamese writes image pairs
/// as Caffe's convert_mnist_siamese_data does, and the example's two weight-sharing towers, trained
/// with ContrastiveLoss, bring the loss down.
/// </summary>
public class SiameseTests
{
    private static string Pairs(TempDir dir)
    {
        // LevelDB, as Caffe's siamese example uses.
        string leveldb = dir.File("pairs_leveldb");
        var output = new StringWriter();
        Assert.Equal(0, CommandLine.Run(["convert-idx", FashionMnist.TestImages, FashionMnist.TestLabels, leveldb, "--siamese", "--seed", "3", "--backend", "leveldb"], output, new StringWriter()));
        Assert.Contains("Wrote 10000 records", output.ToString());
        return leveldb;
    }

    [Fact]
    public void PairsHoldTwoImagesLabelledByWhetherTheirClassesAgree()
    {
        using var dir = new TempDir();
        var images = IdxFile.ReadImages(FashionMnist.TestImages);
        var labels = IdxFile.ReadLabels(FashionMnist.TestLabels);
        using var reader = RecordDatabases.OpenReader(Pairs(dir));
        Assert.Equal(10000, reader.Count);
        int similar = 0;
        const int size = 28 * 28;
        for (int n = 0; n < reader.Count; n++)
        {
            var (key, value) = reader.Next();
            var datum = Datum.Parser.ParseFrom(value);
            Assert.Equal((2, 28, 28), (datum.Channels, datum.Height, datum.Width));
            similar += datum.Label;
            if (n >= 20) continue;
            Assert.Equal(n.ToString("D8"), key);
            // Each half is one of the set's images; the label says whether the classes agree.
            var bytes = datum.Data.ToByteArray();
            var first = Enumerable.Range(0, images.Count).Where(i => images.Bytes.AsSpan(i * size, size).SequenceEqual(bytes.AsSpan(0, size))).ToList();
            var second = Enumerable.Range(0, images.Count).Where(i => images.Bytes.AsSpan(i * size, size).SequenceEqual(bytes.AsSpan(size, size))).ToList();
            Assert.NotEmpty(first);
            Assert.NotEmpty(second);
            Assert.Contains(first, i => second.Any(j => (labels.Bytes[i] == labels.Bytes[j] ? 1 : 0) == datum.Label));
        }
        // Ten balanced classes: about one random pair in ten is of one class.
        Assert.InRange(similar, 800, 1200);
    }

    [Fact]
    public void TheSiameseExampleLearnsOnFashionMnistPairs()
    {
        using var dir = new TempDir();
        string pairs = Pairs(dir);
        string root = RepoPaths.Root;
        var net = ProtoFiles.ReadNetText(Path.Combine(root, "examples/siamese/train_test.prototxt"));
        foreach (var layer in net.Layer.Where(l => l.Type == "Data")) layer.DataParam.Source = pairs;
        var solver = ProtoFiles.ReadSolverText(Path.Combine(root, "examples/siamese/solver.prototxt"));
        solver.ClearNet();
        solver.NetParam = net;
        solver.TestIter.Clear();
        solver.ClearTestInterval();
        solver.ClearSnapshot();
        solver.RandomSeed = 5;
        using var training = SolverFactory.Create(solver);
        // The towers share every parameter by name: 10 learnable blobs (5 layers), not 20.
        Assert.Equal(10, training.Net.LearnableParams.Count);
        var losses = new List<float>();
        training.IterationDone += (_, loss, _, _) => losses.Add(loss);
        training.Step(150);
        float first = losses.Take(20).Average(), last = losses.TakeLast(20).Average();
        Assert.True(last < 0.75f * first, $"the contrastive loss went from {first} (first 20 iterations) to {last} (last 20)");
    }
}
