using Cortado.Diagnostics;
using Cortado.Keras;
using Cortado.Proto;

namespace Cortado.Tests.Diagnostics;

public class PortCheckTests
{
    private static string Example(string name) => Path.Combine(RepoPaths.Root, "examples/fneishnet_numbers", name);

    [Fact]
    public void TheSeedPairShowsPoolingFeaturesOptimizerAndInputScaling()
    {
        var keras = KerasModelJson.Parse(File.ReadAllText(Example("keras_model.json")));
        var net = ProtoFiles.ReadNetText(Example("train_val.prototxt"));
        var solver = ProtoFiles.ReadSolverText(Example("solver.prototxt"));
        var differences = PortCheck.Compare(keras, net, solver, "adadelta", kerasVersion: 1);
        Assert.Contains(differences, d => d.What == "pooling stride" && d.KerasValue.StartsWith("2") && d.CaffeValue == "1");
        Assert.Contains(differences, d => d.What == "output shape" && d.KerasValue == "(1600) = 1600" && d.CaffeValue == "(6080) = 6080");
        Assert.Contains(differences, d => d.What == "optimizer" && d.KerasValue.StartsWith("adadelta (Keras 1: lr 1,") && d.CaffeValue.StartsWith("SGD, base_lr 0.01"));
        Assert.Contains(differences, d => d.What == "input scaling (assumed)");
        // Nothing else: every difference is one of these kinds, on layers that really differ.
        Assert.Contains(differences, d => d.What == "loss" && d.CaffeValue.Contains("87.34"));
        var kinds = new[] { "pooling stride", "output shape", "parameters", "initializer", "optimizer", "loss", "input scaling (assumed)" };
        Assert.All(differences, d => Assert.Contains(d.What, kinds));
        Assert.DoesNotContain(differences, d => d.Keras.StartsWith("convolution2d") && d.What == "output shape");
        Assert.DoesNotContain(differences, d => d.Keras.StartsWith("dropout"));
    }

    [Fact]
    public void AFaithfulPortDiffersOnlyWhereCaffeCannotFollow()
    {
        var model = Cortado.Tests.Keras.SequentialTests.SeedModel();
        model.Compile("categorical_crossentropy", new Adadelta(), "accuracy");
        var net = model.ToNetParameter(1);
        var solver = model.ToSolverParameter();
        var differences = PortCheck.Compare(model, net, solver, "adadelta", kerasVersion: 2);
        Assert.DoesNotContain(differences, d => d.What is "pooling stride" or "output shape" or "parameters" or "optimizer");
    }
}
