using System.Runtime.InteropServices;
using Cortado.Errors;
using Cortado.Nets;
using Cortado.Proto;
using Cortado.Tests.Interop;

namespace Cortado.Tests.Data;

/// <summary>
/// WindowData against OpenCV (the library Caffe's layer calls): each window warped with context
/// padding, square crops and mirroring as Caffe's geometry says and OpenCV resizes, within one grey
/// level (OpenCV's 8-bit resize rounds in fixed point); batches of background then foreground
/// boxes; and window files that are wrong, named by line.
/// </summary>
public class WindowDataTests
{
    private const int Crop = 16;
    // A foreground box near the image corner (its context runs off the image), and a background box.
    private static readonly int[][] Boxes = [[2, 1, 21, 17], [10, 9, 35, 28]];

    /// <summary>Per window and mirroring (index 2 box + mirrored): OpenCV's warp in the crop, and where in the crop it lies.</summary>
    private static (float[] Values, int Top, int Left, int Height, int Width)[] Warps(string dir, int contextPad, bool square)
    {
        string placed = PythonRunner.Run(File.ReadAllText(Path.Combine(RepoPaths.Root, "tests/Cortado.Tests/Interop/window_warp.py")),
            [dir, $"{Crop}", $"{contextPad}", square ? "1" : "0", .. Boxes.SelectMany(b => b.Select(v => $"{v}"))]);
        var rectangles = placed.Trim().Split('\n').Select(line => line.Split(' ').Select(int.Parse).ToArray()).ToArray();
        return [.. rectangles.Select(r => (MemoryMarshal.Cast<byte, float>(File.ReadAllBytes(Path.Combine(dir, $"warp_{r[0]}_{r[1]}.bin"))).ToArray(), r[2], r[3], r[4], r[5]))];
    }

    private static string WindowFileText(string image) => $"""
        # 0
        {image}
        3 30 40
        3
        1 0.8 {string.Join(" ", Boxes[0])}
        4 0.1 {string.Join(" ", Boxes[1])}
        2 0.4 5 5 9 9
        """;

    private static Net DataNet(string windowFile, string transform, string extra = "") => new(TextFormat.Parse<NetParameter>($$"""
        layer { name: "data" type: "WindowData" top: "data" top: "label"
          transform_param { crop_size: {{Crop}} {{transform}} }
          window_data_param { source: "{{windowFile}}" batch_size: 6 fg_fraction: 0.5 fg_threshold: 0.5 bg_threshold: 0.3 {{extra}} } }
        """), Phase.Train);

    private static void Close(float[] expected, ReadOnlySpan<float> actual, float tolerance, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++) Assert.True(Math.Abs(expected[i] - actual[i]) <= tolerance, $"{what}[{i}]: OpenCV {expected[i]}, Cortado {actual[i]}");
    }

    [Fact]
    public void BatchesAreBackgroundThenForegroundWarpedAsOpenCvWarpsThem()
    {
        using var dir = new TempDir();
        var warps = Warps(dir.Path, contextPad: 2, square: false);
        File.WriteAllText(dir.File("windows.txt"), WindowFileText(dir.File("image.png")));
        using var net = DataNet(dir.File("windows.txt"), "mean_value: 10 mean_value: 20 mean_value: 30 scale: 0.5", "context_pad: 2");
        net.Forward();
        Assert.Equal([0, 0, 0, 1, 1, 1], net.Blob("label").HostData.ToArray());
        var data = net.Blob("data").HostData;
        int size = 3 * Crop * Crop;
        for (int item = 0; item < 6; item++)
        {
            // OpenCV's warp through the layer's mean (10, 20, 30 for B, G, R) and scale; where the window does not reach stays 0.
            var (values, top, left, height, width) = warps[item < 3 ? 2 : 0];
            Assert.True(top > 0 || left > 0 || height < Crop || width < Crop, "the context runs off the image, so part of the crop stays 0");
            var expected = values.Select((v, i) =>
            {
                int c = i / (Crop * Crop), y = i / Crop % Crop, x = i % Crop;
                bool inside = y >= top && y < top + height && x >= left && x < left + width;
                return inside ? (v - 10f * (1 + c)) * 0.5f : 0f;
            }).ToArray();
            Close(expected, data.Slice(item * size, size), 0.5f, $"item {item}");
        }
    }

    [Fact]
    public void SquareCropsAndMirroringFollowCaffe()
    {
        using var dir = new TempDir();
        var warps = Warps(dir.Path, contextPad: 3, square: true);
        File.WriteAllText(dir.File("windows.txt"), WindowFileText(dir.File("image.png")));
        using var net = DataNet(dir.File("windows.txt"), "mirror: true", "context_pad: 3 crop_mode: 'square'");
        int size = 3 * Crop * Crop, mirrored = 0;
        for (int pass = 0; pass < 4; pass++)
        {
            net.Forward();
            var data = net.Blob("data").HostData;
            for (int item = 0; item < 6; item++)
            {
                int box = item < 3 ? 1 : 0;
                var actual = data.Slice(item * size, size).ToArray();
                bool flipped = actual.Zip(warps[2 * box + 1].Values).Max(p => Math.Abs(p.First - p.Second)) < actual.Zip(warps[2 * box].Values).Max(p => Math.Abs(p.First - p.Second));
                Close(warps[2 * box + (flipped ? 1 : 0)].Values, actual, 1f, $"pass {pass} item {item}");
                if (flipped) mirrored++;
            }
        }
        Assert.InRange(mirrored, 4, 20);
    }

    [Theory]
    [InlineData("# 0\nimage.png\n3 30 40\n1\n1 0.9 1 2 3\n", "ends at line 5 where y2 was expected")]
    [InlineData("# 0\nimage.png\n3 30 40\n1\n0 0.9 1 2 3 4\n", "line 5: a foreground window (overlap 0.9 >= fg_threshold 0.5) has class 0")]
    [InlineData("# 1\nimage.png\n3 30 40\n0\n", "line 1: image index 1 where 0 comes next")]
    [InlineData("0\nimage.png\n", "line 1: expected '#' to start an image record, found '0'")]
    [InlineData("# 0\nimage.png\nthree 30 40\n0\n", "line 3: expected the image's channels, found 'three'")]
    public void AWrongWindowFileIsNamedWithItsLine(string text, string expected)
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.File("windows.txt"), text);
        var error = Assert.Throws<LayerException>(() => DataNet(dir.File("windows.txt"), ""));
        Assert.Contains("windows.txt", error.Message);
        Assert.Contains(expected, error.Message);
        Assert.Contains("'data'", error.Message);
    }
}
