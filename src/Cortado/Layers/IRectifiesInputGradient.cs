namespace Cortado.Layers;

/// <summary>
/// A layer whose backward pass can also do the backward of a plain in-place ReLU right before it
/// (zero the bottom diff where its bottom, the ReLU's output, is not positive), on the threads
/// that just wrote that diff, so the net skips the ReLU's own pass over memory.
/// </summary>
internal interface IRectifiesInputGradient
{
    /// <summary>Set by the net for one backward pass; the layer's first bottom is the ReLU's output.</summary>
    bool RectifyInputGradient { get; set; }
}
