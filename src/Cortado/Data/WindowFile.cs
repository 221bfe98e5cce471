using System.Globalization;
using Cortado.Errors;

namespace Cortado.Data;

/// <summary>One image of an R-CNN window file, and its boxes.</summary>
public sealed record WindowImage(string Path, int Channels, int Height, int Width);

/// <summary>A box of an image (0-based, corners inclusive) with its class and its overlap with the ground truth.</summary>
public readonly record struct DetectionWindow(int Image, int Label, float Overlap, int X1, int Y1, int X2, int Y2);

/// <summary>
/// Caffe's WindowData source: repeated records of "# image_index", the image path, its channels,
/// height and width, the number of windows, then one "class overlap x1 y1 x2 y2" line per window,
/// all whitespace-separated as Caffe reads them. A window overlapping a ground-truth box by at least
/// fg_threshold is foreground (its class must be positive); one below bg_threshold is background,
/// with class and overlap set to 0; windows in between are dropped.
/// </summary>
public sealed class WindowFile
{
    public List<WindowImage> Images { get; } = [];
    public List<DetectionWindow> Foreground { get; } = [];
    public List<DetectionWindow> Background { get; } = [];

    public static WindowFile Read(string path, string rootFolder, float fgThreshold, float bgThreshold)
    {
        if (!File.Exists(path)) throw new DataException(path, $"window file not found{RelativePaths.Hint(path)}");
        var tokens = Tokens(File.ReadAllLines(path)).GetEnumerator();
        var file = new WindowFile();
        (string Text, int Line) last = ("", 0);
        string Next(string what)
        {
            if (!tokens.MoveNext()) throw new DataException(path, $"ends at line {last.Line} where {what} was expected");
            last = tokens.Current;
            return last.Text;
        }
        T Number<T>(string what) where T : IParsable<T> =>
            T.TryParse(Next(what), CultureInfo.InvariantCulture, out var value) ? value
                : throw new DataException(path, $"line {last.Line}: expected {what}, found '{last.Text}'");

        while (tokens.MoveNext())
        {
            last = tokens.Current;
            if (last.Text != "#") throw new DataException(path, $"line {last.Line}: expected '#' to start an image record, found '{last.Text}'");
            int index = Number<int>("the image index after '#'");
            if (index != file.Images.Count)
                throw new DataException(path, $"line {last.Line}: image index {index} where {file.Images.Count} comes next (indices count from 0 in file order)");
            string image = rootFolder + Next("the image path");
            file.Images.Add(new WindowImage(image, Number<int>("the image's channels"), Number<int>("the image's height"), Number<int>("the image's width")));
            int windows = Number<int>("the number of windows");
            for (int i = 0; i < windows; i++)
            {
                int label = Number<int>("a window's class");
                float overlap = Number<float>("a window's overlap");
                var window = new DetectionWindow(index, label, overlap, Number<int>("x1"), Number<int>("y1"), Number<int>("x2"), Number<int>("y2"));
                if (window.X2 < window.X1 || window.Y2 < window.Y1 || window.X1 < 0 || window.Y1 < 0)
                    throw new DataException(path, $"line {last.Line}: window {window.X1} {window.Y1} {window.X2} {window.Y2} is not a box (x1 <= x2, y1 <= y2, from 0)");
                if (overlap >= fgThreshold)
                {
                    if (label <= 0) throw new DataException(path, $"line {last.Line}: a foreground window (overlap {overlap} >= fg_threshold {fgThreshold}) has class {label}; foreground classes start at 1");
                    file.Foreground.Add(window);
                }
                else if (overlap < bgThreshold) file.Background.Add(window with { Label = 0, Overlap = 0 });
            }
        }
        if (file.Images.Count == 0) throw new DataException(path, "window file is empty");
        return file;
    }

    private static IEnumerable<(string Text, int Line)> Tokens(string[] lines)
    {
        for (int i = 0; i < lines.Length; i++)
            foreach (var token in lines[i].Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries))
                yield return (token, i + 1);
    }
}
