using Cortado.Errors;
using Cortado.Keras;

namespace Cortado.Tests.Keras;

/// <summary>
/// Keras's Reshape and Permute on Caffe's channel-first blobs: a reshape keeps Keras's row-major
/// (channel-last) order of the values, so any chain of them gives the input back; a Permute moves
/// each value to its permuted index; and h5py/numpy reads the saved model alike.
/// </summary>
public class KerasReshapeTests
{
    private static float[] Ramp(int count) => Enumerable.Range(0, count).Select(i => i * 0.5f - 3).ToArray();

    [Fact]
    public void ReshapesKeepKerassOrderOfTheValues()
    {
        var model = new Sequential(new Reshape(4, 6) { InputShape = [2, 3, 4] }, new Reshape(3, -1, 2), new Reshape(24), new Reshape(2, 2, 6));
        Assert.Equal([2, 2, 6], model.OutputShapes()[^1]);
        Assert.Equal([3, 4, 2], model.OutputShapes()[1]);
        var x = Ramp(3 * 24);
        Assert.Equal(x, model.Predict(x));
        Assert.Contains("cannot lay out", Assert.Throws<CortadoException>(() => new Sequential(new Reshape(5, -1) { InputShape = [2, 3, 4] }).OutputShapes()).Message);
    }

    [Fact]
    public void PermuteMovesEachValueToItsPermutedIndex()
    {
        var model = new Sequential(new Permute(2, 3, 1) { InputShape = [2, 3, 4] });
        Assert.Equal([3, 4, 2], model.OutputShapes()[0]);
        var x = Ramp(2 * 24);
        var y = model.Predict(x);
        // out[n, w, c, h] = in[n, h, w, c]
        for (int n = 0; n < 2; n++)
            for (int h = 0; h < 2; h++)
                for (int w = 0; w < 3; w++)
                    for (int c = 0; c < 4; c++) Assert.Equal(x[((n * 2 + h) * 3 + w) * 4 + c], y[((n * 3 + w) * 4 + c) * 2 + h]);
        Assert.Contains("dims", Assert.Throws<CortadoException>(() => new Sequential(new Permute(1, 1, 2) { InputShape = [2, 3, 4] }).OutputShapes()).Message);
    }

    [Fact]
    public void ADenseAfterAReshapeReadsKerassFeatureOrder()
    {
        var model = new Sequential(new Reshape(24) { InputShape = [2, 3, 4] }, new Dense(2));
        var kernel = Ramp(48).Select(v => v / 10).ToArray();
        model.SetWeights("dense_1", kernel, [0.5f, -0.5f]);
        var x = Ramp(24);
        var y = model.Predict(x);
        for (int u = 0; u < 2; u++)
            Assert.Equal(Enumerable.Range(0, 24).Sum(k => (double)x[k] * kernel[k * 2 + u]) + (u == 0 ? 0.5 : -0.5), y[u], 4);
    }
}
