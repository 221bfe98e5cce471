using Cortado.Layers;

namespace Cortado.Nets;

public sealed partial class Net
{
    /// <summary>For each layer: a convolution whose forward pass also does the in-place ReLU right after it.</summary>
    private readonly bool[] _fusesNextRectifier = [];

    /// <summary>For each layer: the MAX pooling its forward pass may do too, or -1.</summary>
    private readonly int[] _pooledAfter = [];

    /// <summary>The pooling layer that layer <paramref name="layer"/>'s forward pass may do too, or -1 (tests ask).</summary>
    internal int PooledAfter(int layer) => _pooledAfter[layer];

    /// <summary>For each layer: one whose backward pass also does the backward of the in-place ReLU right before it.</summary>
    private readonly bool[] _fusesPreviousRectifier = [];

    /// <summary>Whether layer <paramref name="layer"/>'s forward pass does the ReLU after it too (tests ask).</summary>
    internal bool FusesNextRectifier(int layer) => _fusesNextRectifier[layer];

    /// <summary>Whether layer <paramref name="layer"/>'s backward pass does the ReLU before it too (tests ask).</summary>
    internal bool FusesPreviousRectifier(int layer) => _fusesPreviousRectifier[layer];

    /// <summary>
    /// Convolutions followed by a plain ReLU (slope 0) working in place on their one top, which no
    /// layer reads in between: the convolution rectifies its output as it writes it, and the ReLU's
    /// forward pass is skipped. Its backward pass reads only the output's sign, so it still holds.
    /// The seed net's ReLUs after its convolutions took 3.2 ms of a 65 ms step at batch 128 (Zen 4).
    /// </summary>
    private bool[] FindFusedRectifiers()
    {
        var fuses = new bool[_layers.Count];
        for (int i = 0; i + 1 < _layers.Count; i++)
        {
            if (_layers[i] is not BaseConvolutionLayer convolution || _layers[i + 1] is not ReLULayer relu) continue;
            if (_topIds[i].Count != 1 || _bottomIds[i + 1].Count != 1 || _topIds[i + 1].Count != 1) continue;
            int blob = _topIds[i][0];
            bool inPlace = _bottomIds[i + 1][0] == blob && _topIds[i + 1][0] == blob;
            bool plain = (relu.Param.ReluParam?.NegativeSlope ?? 0f) == 0f;
            fuses[i] = inPlace && plain && convolution.LossWeight(0) == 0f && relu.LossWeight(0) == 0f;
        }
        return fuses;
    }

    /// <summary>
    /// Convolutions whose one top (after a fused ReLU, if one follows) is read only by a MAX pooling
    /// with one top, right after: the convolution pools each image, or each block of rows at batch 1,
    /// on the thread that wrote it, and the pooling's forward pass is skipped. At batch 1 on two threads
    /// the pooling otherwise runs on one core, reading the half of its input the other core wrote.
    /// </summary>
    private int[] FindPoolingsFused()
    {
        var pooled = new int[_layers.Count];
        Array.Fill(pooled, -1);
        for (int i = 0; i + 1 < _layers.Count; i++)
        {
            if (_layers[i] is not BaseConvolutionLayer convolution || _bottomIds[i].Count != 1 || _topIds[i].Count != 1 || convolution.LossWeight(0) != 0f) continue;
            int j = _fusesNextRectifier[i] ? i + 2 : i + 1;
            if (j >= _layers.Count || _layers[j] is not PoolingLayer { IsMax: true } pooling) continue;
            if (_bottomIds[j].Count != 1 || _topIds[j].Count != 1 || pooling.LossWeight(0) != 0f) continue;
            int blob = _topIds[i][0];
            bool onlyReader = _bottomIds[j][0] == blob
                && Enumerable.Range(0, _layers.Count).All(l => l == j || l == i + 1 && j == i + 2 || !_bottomIds[l].Contains(blob));
            if (onlyReader) pooled[i] = j;
        }
        return pooled;
    }

    /// <summary>
    /// Convolutions and poolings whose first bottom is the output of a plain ReLU (slope 0) working in
    /// place just before them, read by no other layer: their backward pass zeroes the bottom diff where
    /// that output is not positive, image by image or plane by plane while the diff is in cache, and the
    /// ReLU's backward pass is skipped. The result is the ReLU's, bit for bit. In the seed net at batch
    /// 128 the two ReLUs' backward passes took about 1.9 ms of a 69 ms step on one thread, and as
    /// much on two, being memory bound (Zen 4).
    /// </summary>
    private bool[] FindRectifiersFusedBackward()
    {
        var fuses = new bool[_layers.Count];
        for (int i = 1; i < _layers.Count; i++)
        {
            if (_layers[i] is not IRectifiesInputGradient || _layers[i - 1] is not ReLULayer relu) continue;
            if (_bottomIds[i - 1].Count != 1 || _topIds[i - 1].Count != 1 || _bottomIds[i].Count == 0) continue;
            int blob = _topIds[i - 1][0];
            bool inPlace = _bottomIds[i - 1][0] == blob;
            bool plain = (relu.Param.ReluParam?.NegativeSlope ?? 0f) == 0f;
            // Its only reader, through the first bottom alone, and not written again in place.
            bool onlyReader = _bottomIds[i][0] == blob && !_topIds[i].Contains(blob)
                && Enumerable.Range(0, _layers.Count).All(j => j == i - 1 || j == i ? _bottomIds[j].Count(b => b == blob) <= 1 : !_bottomIds[j].Contains(blob));
            fuses[i] = inPlace && plain && onlyReader && relu.LossWeight(0) == 0f;
        }
        return fuses;
    }
}
