using Cortado.Layers;
using Cortado.Proto;
using Cortado.Tensors;

namespace Cortado.Tests.Layers;

public class GradientCheckerTests
{
    /// <summary>y = x^2 with a backward that forgets the factor 2: the checker must catch it.</summary>
    private sealed class WrongSquareLayer(LayerParameter p, LayerContext c) : NeuronLayer(p, c)
    {
        public override string Type => "WrongSquare";
        protected override void ForwardCpu(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top)
        {
            for (int i = 0; i < bottom[0].Count; i++) top[0].Data[i] = bottom[0].Data[i] * bottom[0].Data[i];
        }
        protected override void BackwardCpu(IReadOnlyList<Blob> top, IReadOnlyList<bool> propagateDown, IReadOnlyList<Blob> bottom)
        {
            for (int i = 0; i < bottom[0].Count; i++) bottom[0].Diff[i] = top[0].Diff[i] * bottom[0].Data[i];
        }
    }

    [Fact]
    public void CatchesAWrongGradient()
    {
        var layer = new WrongSquareLayer(new LayerParameter { Name = "wrong" }, LayerContext.ForTests());
        var e = Assert.ThrowsAny<Xunit.Sdk.XunitException>(() =>
            new GradientChecker().Check(layer, [LayerTestKit.Filled(1, 1f, 3, 4)], LayerTestKit.Tops(1)));
        Assert.Contains("WrongSquare 'wrong' bottom 0", e.Message);
    }
}
