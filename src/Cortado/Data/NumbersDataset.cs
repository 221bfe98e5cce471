using Cortado.Proto;
using Google.Protobuf;

namespace Cortado.Data;

/// <summary>
/// The seed case's data, made up: 24 x 15 grayscale images of the digits 0-9 and an 11th
/// class with no number, as raw 0..255 pixels. Digits come from three embedded glyph styles
/// (a 5x7 font, a 3x5 font, seven segments) drawn with varied size, position, slant, stroke
/// width, blur, contrast and noise. Everything follows from the seed: the same seed gives the
/// same images. Nothing is downloaded.
/// </summary>
public static class NumbersDataset
{
    public const int Height = 24, Width = 15, Classes = 11;

    private static readonly string[][] Font5x7 =
    [
        [" ### ", "#   #", "#  ##", "# # #", "##  #", "#   #", " ### "],
        ["  #  ", " ##  ", "  #  ", "  #  ", "  #  ", "  #  ", " ### "],
        [" ### ", "#   #", "    #", "   # ", "  #  ", " #   ", "#####"],
        ["#####", "   # ", "  #  ", "   # ", "    #", "#   #", " ### "],
        ["   # ", "  ## ", " # # ", "#  # ", "#####", "   # ", "   # "],
        ["#####", "#    ", "#### ", "    #", "    #", "#   #", " ### "],
        ["  ## ", " #   ", "#    ", "#### ", "#   #", "#   #", " ### "],
        ["#####", "    #", "   # ", "  #  ", " #   ", " #   ", " #   "],
        [" ### ", "#   #", "#   #", " ### ", "#   #", "#   #", " ### "],
        [" ### ", "#   #", "#   #", " ####", "    #", "   # ", " ##  "],
    ];

    private static readonly string[][] Font3x5 =
    [
        ["###", "# #", "# #", "# #", "###"], [" # ", "## ", " # ", " # ", "###"], ["###", "  #", "###", "#  ", "###"],
        ["###", "  #", " ##", "  #", "###"], ["# #", "# #", "###", "  #", "  #"], ["###", "#  ", "###", "  #", "###"],
        ["###", "#  ", "###", "# #", "###"], ["###", "  #", " # ", " # ", " # "], ["###", "# #", "###", "# #", "###"],
        ["###", "# #", "###", "  #", "###"],
    ];

    // Segments a (top), b (top right), c (bottom right), d (bottom), e (bottom left), f (top left), g (middle).
    private static readonly string[] Segments = ["abcdef", "bc", "abdeg", "abcdg", "bcfg", "acdfg", "acdefg", "abc", "abcdefg", "abcdfg"];

    /// <summary>
    /// Writes FOLDER/PREFIX_train_lmdb and FOLDER/PREFIX_val_lmdb and returns their paths. The prefix
    /// defaults to the folder's name, as Caffe's examples name theirs (examples/mnist/mnist_train_lmdb),
    /// so examples/fneishnet_numbers gets the fneishnet_numbers_*_lmdb its prototxt reads.
    /// </summary>
    public static (string Train, string Validation) Write(string folder, int trainPerClass = 1000, int validationPerClass = 200, int seed = 1,
        bool overwrite = false, string? prefix = null)
    {
        prefix ??= Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(folder)));
        if (prefix.Length == 0) prefix = "numbers";
        string train = Path.Combine(folder, $"{prefix}_train_lmdb"), validation = Path.Combine(folder, $"{prefix}_val_lmdb");
        WriteSet(train, trainPerClass, seed, overwrite);
        WriteSet(validation, validationPerClass, seed + 1000003, overwrite);
        return (train, validation);
    }

    private static void WriteSet(string path, int perClass, int seed, bool overwrite)
    {
        var random = new Random(seed);
        using var writer = new LmdbWriter(path, overwrite);
        // Classes interleaved in a shuffled order, as a converted dataset should be.
        var labels = Enumerable.Range(0, perClass * Classes).Select(i => i % Classes).ToArray();
        random.Shuffle(labels);
        for (int i = 0; i < labels.Length; i++)
        {
            var pixels = Render(labels[i], random);
            var datum = new Datum { Channels = 1, Height = Height, Width = Width, Label = labels[i], Data = ByteString.CopyFrom(pixels) };
            writer.Put(i.ToString("D8"), datum.ToByteArray());
        }
        writer.Complete();
    }

    /// <summary>One image of the class (10 = no number) as 24 x 15 bytes.</summary>
    public static byte[] Render(int label, Random random)
    {
        var ink = new float[Height * Width];
        if (label < 10) DrawDigit(label, random, ink);
        else DrawClutter(random, ink);
        if (random.NextDouble() < 0.5) ink = Dilate(ink, 0.3f + 0.5f * (float)random.NextDouble());
        if (random.NextDouble() < 0.6) ink = Blur(ink);
        float background = 10 + 60 * (float)random.NextDouble(), foreground = 150 + 105 * (float)random.NextDouble(), noise = 4 + 18 * (float)random.NextDouble();
        var pixels = new byte[ink.Length];
        for (int i = 0; i < ink.Length; i++)
        {
            double gaussian = Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
            pixels[i] = (byte)Math.Clamp(background + (foreground - background) * Math.Clamp(ink[i], 0f, 1f) + noise * gaussian, 0, 255);
        }
        return pixels;
    }

    private static void DrawDigit(int digit, Random random, float[] ink)
    {
        string[] glyph = random.Next(3) switch { 0 => Font5x7[digit], 1 => Font3x5[digit], _ => SevenSegment(digit) };
        int rows = glyph.Length, columns = glyph[0].Length;
        float height = 13 + 8 * (float)random.NextDouble();
        float width = Math.Min(13, height * columns / rows * (0.75f + 0.45f * (float)random.NextDouble()));
        float top = (float)random.NextDouble() * (Height - height), left = (float)random.NextDouble() * (Width - width);
        float slant = (float)(random.NextDouble() - 0.5) * 0.35f;
        for (int y = 0; y < Height; y++)
        {
            for (int x = 0; x < Width; x++)
            {
                // Back into glyph coordinates, with a shear for the slant, sampled bilinearly.
                float gy = (y + 0.5f - top) / height * rows - 0.5f;
                float gx = (x + 0.5f - left - slant * (y - top - height / 2)) / width * columns - 0.5f;
                ink[y * Width + x] = Math.Max(ink[y * Width + x], Sample(glyph, gy, gx));
            }
        }
    }

    private static float Sample(string[] glyph, float y, float x)
    {
        int y0 = (int)MathF.Floor(y), x0 = (int)MathF.Floor(x);
        float fy = y - y0, fx = x - x0;
        float Cell(int r, int c) => r >= 0 && r < glyph.Length && c >= 0 && c < glyph[0].Length && glyph[r][c] == '#' ? 1f : 0f;
        return (1 - fy) * ((1 - fx) * Cell(y0, x0) + fx * Cell(y0, x0 + 1)) + fy * ((1 - fx) * Cell(y0 + 1, x0) + fx * Cell(y0 + 1, x0 + 1));
    }

    private static string[] SevenSegment(int digit)
    {
        var on = Segments[digit];
        var grid = Enumerable.Range(0, 9).Select(_ => "     ".ToCharArray()).ToArray();
        void Horizontal(int row) { for (int c = 1; c < 4; c++) grid[row][c] = '#'; }
        void Vertical(int column, int from) { for (int r = from; r < from + 3; r++) grid[r][column] = '#'; }
        if (on.Contains('a')) Horizontal(0);
        if (on.Contains('g')) Horizontal(4);
        if (on.Contains('d')) Horizontal(8);
        if (on.Contains('f')) Vertical(0, 1);
        if (on.Contains('b')) Vertical(4, 1);
        if (on.Contains('e')) Vertical(0, 5);
        if (on.Contains('c')) Vertical(4, 5);
        return grid.Select(r => new string(r)).ToArray();
    }

    // The 11th class: no digit, only what a cropping error leaves (edges, strokes, specks) or nothing.
    private static void DrawClutter(Random random, float[] ink)
    {
        int strokes = random.Next(0, 3);
        for (int s = 0; s < strokes; s++)
        {
            bool horizontal = random.Next(2) == 0;
            int position = horizontal ? random.Next(Height) : random.Next(Width);
            int length = random.Next(3, horizontal ? Width : Height), start = random.Next(0, (horizontal ? Width : Height) - length + 1);
            for (int i = start; i < start + length; i++) ink[horizontal ? position * Width + i : i * Width + position] = 1f;
        }
        int specks = random.Next(0, 6);
        for (int s = 0; s < specks; s++) ink[random.Next(ink.Length)] = 0.5f + 0.5f * (float)random.NextDouble();
    }

    private static float[] Dilate(float[] ink, float amount)
    {
        var result = (float[])ink.Clone();
        for (int y = 0; y < Height; y++)
            for (int x = 0; x < Width; x++)
            {
                float best = 0;
                for (int dy = -1; dy <= 1; dy++)
                    for (int dx = -1; dx <= 1; dx++)
                        if ((uint)(y + dy) < Height && (uint)(x + dx) < Width && Math.Abs(dy) + Math.Abs(dx) == 1) best = Math.Max(best, ink[(y + dy) * Width + x + dx]);
                result[y * Width + x] = Math.Max(ink[y * Width + x], amount * best);
            }
        return result;
    }

    private static float[] Blur(float[] ink)
    {
        var result = new float[ink.Length];
        for (int y = 0; y < Height; y++)
            for (int x = 0; x < Width; x++)
            {
                float sum = 0, weight = 0;
                for (int dy = -1; dy <= 1; dy++)
                    for (int dx = -1; dx <= 1; dx++)
                    {
                        if ((uint)(y + dy) >= Height || (uint)(x + dx) >= Width) continue;
                        float w = dy == 0 && dx == 0 ? 4 : Math.Abs(dy) + Math.Abs(dx) == 1 ? 2 : 1;
                        sum += w * ink[(y + dy) * Width + x + dx];
                        weight += w;
                    }
                result[y * Width + x] = sum / weight;
            }
        return result;
    }
}
