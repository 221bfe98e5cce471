namespace Cortado.Data;

/// <summary>
/// R-CNN's window warp, as Caffe's WindowData computes it: the box, widened by context_pad pixels
/// of the output on each side (and made square for crop_mode "square"), is clipped to the image,
/// resized (bilinear, as OpenCV's INTER_LINEAR) to the share of the crop_size x crop_size output
/// its clipped part takes, and placed where it would lie in the unclipped warp; the rest is left
/// for the caller's zeros. Mirroring flips the warped region and mirrors its padding.
/// </summary>
public static class WindowWarp
{
    /// <summary>The warped region (C x Height x Width, rounded to bytes as OpenCV's 8-bit resize) and its offset in the output.</summary>
    public readonly record struct Warped(byte[] Pixels, int Height, int Width, int PadH, int PadW);

    private static int Round(float v) => (int)MathF.Round(v, MidpointRounding.AwayFromZero);

    public static Warped Apply(byte[] image, int channels, int height, int width, DetectionWindow window, int cropSize, int contextPad, bool square, bool mirror)
    {
        int x1 = window.X1, y1 = window.Y1, x2 = window.X2, y2 = window.Y2;
        int outW = cropSize, outH = cropSize, padH = 0, padW = 0;
        if (contextPad > 0 || square)
        {
            // Expand so that, once warped to crop_size, exactly context_pad pixels of context surround the box.
            float contextScale = cropSize / (float)(cropSize - 2 * contextPad);
            float halfHeight = (y2 - y1 + 1) / 2f, halfWidth = (x2 - x1 + 1) / 2f;
            float centerX = x1 + halfWidth, centerY = y1 + halfHeight;
            if (square) halfHeight = halfWidth = MathF.Max(halfHeight, halfWidth);
            x1 = Round(centerX - halfWidth * contextScale);
            x2 = Round(centerX + halfWidth * contextScale);
            y1 = Round(centerY - halfHeight * contextScale);
            y2 = Round(centerY + halfHeight * contextScale);
            int unclippedHeight = y2 - y1 + 1, unclippedWidth = x2 - x1 + 1;
            int padX1 = Math.Max(0, -x1), padY1 = Math.Max(0, -y1), padX2 = Math.Max(0, x2 - width + 1), padY2 = Math.Max(0, y2 - height + 1);
            (x1, x2, y1, y2) = (x1 + padX1, x2 - padX2, y1 + padY1, y2 - padY2);
            float scaleX = cropSize / (float)unclippedWidth, scaleY = cropSize / (float)unclippedHeight;
            outW = Round((x2 - x1 + 1) * scaleX);
            outH = Round((y2 - y1 + 1) * scaleY);
            padX1 = Round(padX1 * scaleX);
            padX2 = Round(padX2 * scaleX);
            padY1 = Round(padY1 * scaleY);
            padH = padY1;
            padW = mirror ? padX2 : padX1;
            // Rounding may push the warped region past the output; trim it, as Caffe does.
            if (padH + outH > cropSize) outH = cropSize - padH;
            if (padW + outW > cropSize) outW = cropSize - padW;
        }
        if (x1 < 0 || y1 < 0 || x2 >= width || y2 >= height)
            throw new ArgumentException($"window {window.X1} {window.Y1} {window.X2} {window.Y2} lies outside the {width} x {height} image");
        var pixels = Resize(image, channels, height, width, x1, y1, x2 - x1 + 1, y2 - y1 + 1, outH, outW);
        if (mirror) Flip(pixels, channels, outH, outW);
        return new Warped(pixels, outH, outW, padH, padW);
    }

    /// <summary>
    /// Bilinear resize of a region, with OpenCV's INTER_LINEAR mapping (pixel centres aligned:
    /// source = (dest + 0.5) scale - 0.5, clamped to the edges), rounded to bytes.
    /// </summary>
    public static byte[] Resize(byte[] image, int channels, int height, int width, int left, int top, int regionWidth, int regionHeight, int outH, int outW)
    {
        var output = new byte[channels * outH * outW];
        var (xs, xw) = Taps(regionWidth, outW);
        var (ys, yw) = Taps(regionHeight, outH);
        for (int c = 0; c < channels; c++)
        {
            int plane = c * height * width;
            for (int y = 0; y < outH; y++)
            {
                int row0 = plane + (top + ys[y]) * width + left, row1 = plane + (top + Math.Min(ys[y] + 1, regionHeight - 1)) * width + left;
                for (int x = 0; x < outW; x++)
                {
                    int x0 = xs[x], x1 = Math.Min(x0 + 1, regionWidth - 1);
                    float upper = image[row0 + x0] * (1 - xw[x]) + image[row0 + x1] * xw[x];
                    float lower = image[row1 + x0] * (1 - xw[x]) + image[row1 + x1] * xw[x];
                    float value = upper * (1 - yw[y]) + lower * yw[y];
                    output[(c * outH + y) * outW + x] = (byte)Math.Clamp((int)(value + 0.5f), 0, 255);
                }
            }
        }
        return output;
    }

    /// <summary>Per output index: the first source index and the weight of the next one.</summary>
    private static (int[] Index, float[] Weight) Taps(int source, int output)
    {
        var index = new int[output];
        var weight = new float[output];
        double scale = (double)source / output;
        for (int d = 0; d < output; d++)
        {
            double f = (d + 0.5) * scale - 0.5;
            int s = (int)Math.Floor(f);
            double w = f - s;
            if (s < 0) { s = 0; w = 0; }
            if (s >= source - 1) { s = source - 1; w = 0; }
            (index[d], weight[d]) = (s, (float)w);
        }
        return (index, weight);
    }

    private static void Flip(byte[] pixels, int channels, int height, int width)
    {
        for (int row = 0; row < channels * height; row++) Array.Reverse(pixels, row * width, width);
    }
}
