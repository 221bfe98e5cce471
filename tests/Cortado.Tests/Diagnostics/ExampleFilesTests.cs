using Cortado.Nets;
using Cortado.Proto;

namespace Cortado.Tests.Diagnostics;

/// <summary>The example files parse and build, and the corrected net has the Keras model's sizes.</summary>
public class ExampleFilesTests
{
    private static string Example(string name) => Path.Combine(RepoPaths.Root, "examples/fneishnet_numbers", name);

    private static Net Build(string file)
    {
        var param = ProtoFiles.ReadNetText(Example(file));
        var withInput = param.Clone();
        withInput.Layer.Clear();
        withInput.Layer.Add(TextFormat.Parse<LayerParameter>("name: 'data' type: 'Input' top: 'data' top: 'label' input_param { shape { dim: 2 dim: 1 dim: 24 dim: 15 } shape { dim: 2 } }"));
        withInput.Layer.AddRange(param.Layer.Where(l => l.Type != "Data"));
        return new Net(withInput, Phase.Train);
    }

    [Fact]
    public void AsWrittenAndCorrected()
    {
        Assert.Equal([2, 6080], Build("train_val.prototxt").Blob("flatten1").Shape);
        Assert.Equal([2, 1600], Build("train_val_fixed.prototxt").Blob("flatten1").Shape);
        var fixedNet = ProtoFiles.ReadNetText(Example("train_val_fixed.prototxt"));
        Assert.All(fixedNet.Layer.Where(l => l.Type == "Data"), l => Assert.Equal(0.00390625f, l.TransformParam.Scale));
        var solver = ProtoFiles.ReadSolverText(Example("solver_fixed.prototxt"));
        Assert.Equal(("SGD", 0.01f, 0.9f, "poly", 1547), (solver.Type, solver.BaseLr, solver.Momentum, solver.LrPolicy, solver.MaxIter));
        Assert.Equal(Cortado.Keras.KerasModelJson.Parse(File.ReadAllText(Example("keras_model.json"))).ParamCount(),
            Build("train_val_fixed.prototxt").LearnableParams.Sum(p => (long)p.Count));
    }
}
