using Cortado.Tests.Cli;

namespace Cortado.Tests.Diagnostics;

/// <summary>
/// The README's path on the seed example, run from a checkout's root as a user types it: make the
/// data into the example's folder, train the port as written (briefly), diagnose it.
/// </summary>
public class SeedPathTests
{
    private static string CopyExample(TempDir dir)
    {
        string folder = Path.Combine(dir.Path, "examples", "fneishnet_numbers");
        Directory.CreateDirectory(folder);
        foreach (var file in Directory.GetFiles(Path.Combine(RepoPaths.Root, "examples", "fneishnet_numbers"), "*.prototxt"))
            File.Copy(file, Path.Combine(folder, Path.GetFileName(file)));
        return folder;
    }

    [Fact]
    public void MakeNumbersWritesTheDatabasesTheExampleReadsAndTheSeedPathRuns()
    {
        using var dir = new TempDir();
        CopyExample(dir);
        var made = CortadoProcess.Run(dir.Path, "make-numbers", "examples/fneishnet_numbers", "--train_per_class", "30", "--val_per_class", "6");
        Assert.True(made.Code == 0, made.Error);
        Assert.True(Directory.Exists(dir.File("examples/fneishnet_numbers/fneishnet_numbers_train_lmdb")), made.Output);
        Assert.True(Directory.Exists(dir.File("examples/fneishnet_numbers/fneishnet_numbers_val_lmdb")), made.Output);

        var trained = CortadoProcess.Run(dir.Path, "train", "--solver", "examples/fneishnet_numbers/solver.prototxt", "--stop_at", "2");
        Assert.True(trained.Code == 0, trained.Error);
        Assert.Contains("Optimization stopped early at iteration 2", trained.Error);
        Assert.True(File.Exists(dir.File("examples/fneishnet_numbers/fneishnet_numbers_iter_2.caffemodel")), trained.Error);
        Assert.True(File.Exists(dir.File("examples/fneishnet_numbers/fneishnet_numbers_iter_2.solverstate")), trained.Error);

        var diagnosed = CortadoProcess.Run(dir.Path, "diagnose", "--solver", "examples/fneishnet_numbers/solver.prototxt", "--iterations", "10");
        Assert.True(diagnosed.Code == 0, diagnosed.Output + diagnosed.Error);
        Assert.Contains("(INPUT_SCALE)", diagnosed.Output);
        Assert.DoesNotContain("Skipped", diagnosed.Output);
    }

    [Fact]
    public void DiagnoseWithoutTheDataRunsThePrototxtChecksAndSaysWhatItSkipped()
    {
        using var dir = new TempDir();
        string folder = CopyExample(dir);
        // No weight filler on the first convolution, so a prototxt-only check has an error to find.
        string net = File.ReadAllText(Path.Combine(folder, "train_val.prototxt"));
        int filler = net.IndexOf("weight_filler { type: \"xavier\" }", StringComparison.Ordinal);
        File.WriteAllText(Path.Combine(folder, "train_val.prototxt"), net.Remove(filler, "weight_filler { type: \"xavier\" }".Length));

        var result = CortadoProcess.Run(dir.Path, "diagnose", "--solver", "examples/fneishnet_numbers/solver.prototxt");
        Assert.Equal(1, result.Code);
        Assert.Contains("checks of the prototxts only: examples/fneishnet_numbers/fneishnet_numbers_train_lmdb, examples/fneishnet_numbers/fneishnet_numbers_val_lmdb not found", result.Output);
        Assert.Contains("(NO_WEIGHT_FILLER)", result.Output);
        Assert.Contains("(POOL_OVERLAP)", result.Output);
        Assert.Contains("(LR_SCHEDULE)", result.Output);
        Assert.DoesNotContain("] The inputs are not scaled", result.Output);
        Assert.Contains("Skipped 7 checks:", result.Output);
        Assert.Contains("input scale (INPUT_SCALE): needs the data", result.Output);
        Assert.Contains("the probe run", result.Output);
        Assert.DoesNotContain("internal error", result.Error);
    }
}
