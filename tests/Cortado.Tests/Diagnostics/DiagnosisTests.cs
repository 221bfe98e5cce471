using Cortado.Data;
using Cortado.Diagnostics;
using Google.Protobuf;
using Cortado.Proto;

namespace Cortado.Tests.Diagnostics;

public class DiagnosisTests
{
    /// <summary>The seed's net and solver, as written, pointed at made-up numbers data in <paramref name="dir"/>.</summary>
    internal static string SeedCase(TempDir dir, int trainPerClass = 60)
    {
        var (train, validation) = NumbersDataset.Write(dir.Path, trainPerClass, validationPerClass: 20);
        string net = File.ReadAllText(Path.Combine(RepoPaths.Root, "examples/fneishnet_numbers/train_val.prototxt"))
            .Replace("examples/fneishnet_numbers/fneishnet_numbers_train_lmdb", train)
            .Replace("examples/fneishnet_numbers/fneishnet_numbers_val_lmdb", validation);
        File.WriteAllText(dir.File("train_val.prototxt"), net);
        string solver = File.ReadAllText(Path.Combine(RepoPaths.Root, "examples/fneishnet_numbers/solver.prototxt"))
            .Replace("examples/fneishnet_numbers/train_val.prototxt", dir.File("train_val.prototxt"))
            .Replace("test_iter: 1000", "test_iter: 4") + "random_seed: 1\n";
        File.WriteAllText(dir.File("solver.prototxt"), solver);
        return dir.File("solver.prototxt");
    }

    [Fact]
    public void TheSeedCaseIsExplainedInputScaleFirstAndTheFixIsHealthy()
    {
        using var dir = new TempDir();
        var report = Diagnosis.Run(SeedCase(dir), iterations: 100);
        var first = report.Findings[0];
        Assert.Equal("INPUT_SCALE", first.Code);
        Assert.Contains("max 255", first.Evidence);
        Assert.Contains("scale: 0.00390625", first.Fix);
        // The failure itself: non-finite, or stuck at ln(11).
        Assert.Contains(report.Findings, f => f.Code is "LOSS_NOT_FINITE" or "LOSS_AT_CHANCE");
        var pooling = report.Findings.Single(f => f.Code == "POOL_OVERLAP");
        Assert.Contains("32 x 19 x 10 = 6080 features", pooling.Evidence);
        Assert.Contains("32 x 10 x 5 = 1600 features", pooling.Evidence);
        Assert.Contains(report.Findings, f => f.Code == "LONG_TRAINING" && f.Evidence == "max_iter 3,000,000 x batch 128 over 660 training images = 581,818 epochs" && f.Fix == "max_iter: 62   # 12 epochs");
        var schedule = report.Findings.Single(f => f.Code == "LR_SCHEDULE");
        Assert.Contains("1% (iteration 30,000): 0.00994987", schedule.Evidence);

        var (_, solver) = Diagnosis.Fix(report, dir.File("fixed"));
        var healthy = Diagnosis.Run(solver, iterations: 100);
        Assert.Empty(healthy.AtLeast(Severity.Warning));
    }

    private static string Case(TempDir dir, string layers, string solverExtra = "", string data = "", string rate = "0.01")
    {
        data = data.Length > 0 ? data : """
            layer { name: "data" type: "DummyData" top: "data" top: "label"
              dummy_data_param { shape { dim: 16 dim: 1 dim: 6 dim: 6 } shape { dim: 16 } data_filler { type: "uniform" } data_filler { type: "constant" value: 1 } } }
            """;
        File.WriteAllText(dir.File("net.prototxt"), data + layers);
        File.WriteAllText(dir.File("solver.prototxt"), $"net: \"{dir.File("net.prototxt")}\" base_lr: {rate} lr_policy: \"fixed\" max_iter: 1000 random_seed: 1 {solverExtra}");
        return dir.File("solver.prototxt");
    }

    private static Diagnosis.Report Run(string solver) => Diagnosis.Run(solver, iterations: 30);

    [Fact]
    public void MissingWeightFillerAndSoftmaxBeforeLoss()
    {
        using var dir = new TempDir();
        var report = Run(Case(dir, """
            layer { name: "fc" type: "InnerProduct" bottom: "data" top: "fc" inner_product_param { num_output: 3 } }
            layer { name: "prob" type: "Softmax" bottom: "fc" top: "prob" }
            layer { name: "loss" type: "SoftmaxWithLoss" bottom: "prob" bottom: "label" top: "loss" }
            """));
        Assert.Contains(report.Findings, f => f.Code == "NO_WEIGHT_FILLER" && f.Evidence.StartsWith("fc:"));
        Assert.Contains(report.Findings, f => f.Code == "SOFTMAX_BEFORE_LOSS" && f.Title.Contains("'prob'"));
    }

    [Fact]
    public void BatchNormWithGlobalStatsWhileTraining()
    {
        using var dir = new TempDir();
        var report = Run(Case(dir, """
            layer { name: "bn" type: "BatchNorm" bottom: "data" top: "data" batch_norm_param { use_global_stats: true } }
            layer { name: "fc" type: "InnerProduct" bottom: "data" top: "fc" inner_product_param { num_output: 3 weight_filler { type: "xavier" } } }
            layer { name: "loss" type: "SoftmaxWithLoss" bottom: "fc" bottom: "label" top: "loss" }
            """));
        Assert.Contains(report.Findings, f => f.Code == "BN_GLOBAL_STATS_TRAIN");
    }

    [Fact]
    public void LabelsBeyondTheClassifierAreFound()
    {
        using var dir = new TempDir();
        var report = Run(Case(dir, """
            layer { name: "fc" type: "InnerProduct" bottom: "data" top: "fc" inner_product_param { num_output: 3 weight_filler { type: "xavier" } } }
            layer { name: "loss" type: "SoftmaxWithLoss" bottom: "fc" bottom: "label" top: "loss" }
            """.Replace("num_output: 3", "num_output: 1")));
        Assert.Contains(report.Findings, f => f.Code == "LABEL_RANGE" && f.Title == "Labels go up to 1 but the classifier has 1 outputs");
        Assert.Contains(report.Findings, f => f.Code == "PROBE_FAILED" && f.Evidence.Contains("label 1 is outside the 1 classes"));
    }

    [Fact]
    public void DeadUnitsAConstantOutputAndALossAtChance()
    {
        using var dir = new TempDir();
        // A bias of -100 before the ReLU: no unit ever fires, the output is constant.
        var report = Run(Case(dir, """
            layer { name: "fc1" type: "InnerProduct" bottom: "data" top: "fc1" inner_product_param { num_output: 8 weight_filler { type: "xavier" } bias_filler { type: "constant" value: -100 } } }
            layer { name: "relu" type: "ReLU" bottom: "fc1" top: "fc1" }
            layer { name: "fc2" type: "InnerProduct" bottom: "fc1" top: "fc2" inner_product_param { num_output: 4 weight_filler { type: "xavier" } } }
            layer { name: "loss" type: "SoftmaxWithLoss" bottom: "fc2" bottom: "label" top: "loss" }
            """, data: """
            layer { name: "data" type: "DummyData" top: "data" top: "label"
              dummy_data_param { shape { dim: 16 dim: 5 } shape { dim: 16 } data_filler { type: "uniform" } data_filler { type: "uniform" min: 0 max: 0 } } }
            """));
        Assert.Contains(report.Findings, f => f.Code == "DEAD_RELU" && f.Evidence.StartsWith("relu: 100% of 8 units"));
        Assert.Contains(report.Findings, f => f.Code == "ONE_CLASS");
        Assert.Contains(report.Findings, f => f.Code == "TINY_UPDATES" && f.Title.Contains("'fc1'"));
    }

    [Fact]
    public void ZeroLearningRateAndSortedData()
    {
        using var dir = new TempDir();
        using (var writer = new LmdbWriter(dir.File("sorted")))
        {
            for (int i = 0; i < 64; i++)
                writer.Put(i.ToString("D8"), new Datum { Channels = 1, Height = 2, Width = 2, Label = i / 32, Data = ByteString.CopyFrom(new byte[] { 1, 0, 0, 1 }) }.ToByteArray());
            writer.Complete();
        }
        var report = Run(Case(dir, """
            layer { name: "fc" type: "InnerProduct" bottom: "data" top: "fc" inner_product_param { num_output: 2 weight_filler { type: "xavier" } } }
            layer { name: "loss" type: "SoftmaxWithLoss" bottom: "fc" bottom: "label" top: "loss" }
            """, data: $$"""
            layer { name: "data" type: "Data" top: "data" top: "label" data_param { source: "{{dir.File("sorted")}}" batch_size: 8 backend: LMDB } }
            """, rate: "0"));
        Assert.Contains(report.Findings, f => f.Code == "LR_ZERO");
        Assert.Contains(report.Findings, f => f.Code == "SORTED_LABELS" && f.Evidence.Contains("2 runs over 64 records"));
    }

    private const string SmallClassifier = """
        layer { name: "fc" type: "InnerProduct" bottom: "data" top: "fc" inner_product_param { num_output: 2 weight_filler { type: "xavier" } } }
        layer { name: "loss" type: "SoftmaxWithLoss" bottom: "fc" bottom: "label" top: "loss" }
        """;

    [Fact]
    public void MomentumAndWeightDecayOutOfRange()
    {
        using var dir = new TempDir();
        var report = Run(Case(dir, SmallClassifier, "momentum: 1.2 weight_decay: 0.1"));
        Assert.Contains(report.Findings, f => f.Code == "MOMENTUM_RANGE" && f.Evidence == "momentum 1.2");
        Assert.Contains(report.Findings, f => f.Code == "WEIGHT_DECAY_RANGE" && f.Evidence == "weight_decay 0.1");
    }

    [Fact]
    public void ImbalanceLongRunsAndPartialTesting()
    {
        using var dir = new TempDir();
        using (var writer = new LmdbWriter(dir.File("db")))
        {
            for (int i = 0; i < 50; i++)
                writer.Put(i.ToString("D8"), new Datum { Channels = 1, Height = 2, Width = 2, Label = i % 10 == 0 ? 1 : 0, Data = ByteString.CopyFrom(new byte[] { 1, 0, 0, 1 }) }.ToByteArray());
            writer.Complete();
        }
        string data = $$"""
            layer { name: "data" type: "Data" top: "data" top: "label" data_param { source: "{{dir.File("db")}}" batch_size: 10 backend: LMDB } }
            """;
        var report = Run(Case(dir, SmallClassifier, "test_iter: 2", data));
        Assert.Contains(report.Findings, f => f.Code == "CLASS_IMBALANCE" && f.Evidence.EndsWith("0: 45, 1: 5"));
        Assert.Contains(report.Findings, f => f.Code == "TRAINING_LENGTH" && f.Evidence == "max_iter 1,000 x batch 10 over 50 training images = 200 epochs");
        Assert.Contains(report.Findings, f => f.Code == "TEST_COVERAGE" && f.Evidence == $"test_iter 2 x batch 10 = 20 images; {dir.File("db")} holds 50");
    }

    [Fact]
    public void ALossPinnedAtCaffesSaturatedSoftmax()
    {
        using var dir = new TempDir();
        // Huge logits over 20 classes with a fixed label: nearly every sample is confidently wrong.
        var report = Run(Case(dir, """
            layer { name: "fc" type: "InnerProduct" bottom: "data" top: "fc" inner_product_param { num_output: 20 weight_filler { type: "gaussian" std: 1000 } } }
            layer { name: "loss" type: "SoftmaxWithLoss" bottom: "fc" bottom: "label" top: "loss" }
            """, data: """
            layer { name: "data" type: "DummyData" top: "data" top: "label"
              dummy_data_param { shape { dim: 32 dim: 8 } shape { dim: 32 } data_filler { type: "gaussian" std: 1 } data_filler { type: "constant" value: 0 } } }
            """, rate: "0"));
        Assert.Contains(report.Findings, f => f.Code == "LOSS_SATURATED");
    }
}
