using System.Globalization;
using Cortado.Data;
using Cortado.Errors;
using Cortado.Proto;
using Cortado.Tensors;

namespace Cortado.Inference;

/// <summary>
/// How an image file becomes a net's input, in the order of Caffe's classify.py (caffe.io.Transformer):
/// decode as RGB in [0, 1] (gray when the net takes one channel), resize bilinearly to the input's
/// height and width, reorder the channels (<see cref="ChannelSwap"/>, default 2,1,0: RGB to Caffe's
/// BGR), multiply by <see cref="RawScale"/> (default 255: back to 0..255), subtract the per-channel
/// mean, multiply by <see cref="Scale"/>. classification.cpp's defaults are the same: BGR 0..255
/// minus the mean image's per-channel mean.
/// </summary>
public sealed record ImagePreprocessing
{
    public float RawScale { get; init; } = 255f;
    public float Scale { get; init; } = 1f;
    /// <summary>classify.py's channel_swap, indices into R, G, B; null for the default (2,1,0 for colour).</summary>
    public int[]? ChannelSwap { get; init; }
    /// <summary>One value per channel (in the net's channel order), or one for all; null for none.</summary>
    public float[]? MeanValues { get; init; }

    /// <summary>Per-channel means from a mean image (.binaryproto), as classify.py and classification.cpp take them.</summary>
    public static float[] ChannelMeans(string binaryproto)
    {
        var blob = new Blob();
        blob.FromProto(ProtoFiles.ReadBinary(binaryproto, BlobProto.Parser));
        var shape = blob.Shape.Skip(blob.NumAxes == 4 ? 1 : 0).ToArray();
        if (shape.Length != 3) throw new ModelFileException(binaryproto, $"holds a {blob.ShapeString} blob; a mean image is C x H x W (or 1 x C x H x W)");
        int plane = shape[1] * shape[2];
        return Enumerable.Range(0, shape[0]).Select(c => (float)blob.Data.Slice(c * plane, plane).ToArray().Average(v => (double)v)).ToArray();
    }

    public static float[] ParseList(string text, string flag) =>
        text.Split(',', StringSplitOptions.TrimEntries).Select(v =>
            float.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out float f) ? f
                : throw new CortadoException($"{flag} takes comma-separated numbers, got '{text}'")).ToArray();

    /// <summary>The image as C x H x W floats for a net input of that shape.</summary>
    public void Apply(string path, int channels, int height, int width, Span<float> chw)
    {
        if (channels is not (1 or 3)) throw new CortadoException($"the net's input has {channels} channels; images give 1 (gray) or 3 (colour)");
        var (_, _, _, bgr) = ImageFiles.Load(path, color: channels == 3, height, width);
        int plane = height * width;
        int[] swap = channels == 1 ? [0] : ChannelSwap ?? [2, 1, 0];
        if (swap.Length != channels || swap.Any(i => i < 0 || i >= channels) || swap.Distinct().Count() != channels)
            throw new CortadoException($"channel_swap {string.Join(",", swap)} is not an order of the {channels} channels");
        if (MeanValues is { Length: > 1 } m && m.Length != channels)
            throw new CortadoException($"{m.Length} mean values for a {channels}-channel input; give one or {channels}");
        for (int c = 0; c < channels; c++)
        {
            // ImageFiles gives B, G, R; the swap indexes R, G, B.
            int source = channels == 1 ? 0 : 2 - swap[c];
            float mean = MeanValues is { Length: > 0 } means ? means[means.Length == 1 ? 0 : c] : 0f;
            for (int i = 0; i < plane; i++)
                chw[c * plane + i] = (bgr[source * plane + i] / 255f * RawScale - mean) * Scale;
        }
    }
}
