using Cortado.Data;
using Cortado.Errors;
using Cortado.Proto;
using Cortado.Tensors;

namespace Cortado.Layers;

/// <summary>
/// Caffe's WindowData, the input of R-CNN fine-tuning (finetune_pascal_detection): boxes from a
/// window file (<see cref="WindowFile"/>), each batch batch_size x (1 - fg_fraction) background
/// boxes then the rest foreground, drawn at random with replacement, each warped to crop_size x
/// crop_size with context_pad pixels of context (<see cref="WindowWarp"/>), optionally mirrored,
/// minus the mean (mean_file, centred, or mean_value), times scale. Tops: data and the boxes'
/// classes (0 for background). crop_size, mirror, mean and scale come from transform_param, or from
/// window_data_param's own fields in prototxts of the older form.
/// </summary>
[LayerType("WindowData")]
public sealed class WindowDataLayer(LayerParameter param, LayerContext context) : Layer(param, context)
{
    public override string Type => "WindowData";
    public override bool RunsOnHost => true;
    public override int ExactNumBottomBlobs => 0;
    public override int ExactNumTopBlobs => 2;
    private WindowFile _windows = null!;
    private CaffeRandom _random = null!;
    private readonly Dictionary<int, (int Channels, int Height, int Width, byte[] Pixels)> _cache = [];
    private int _channels, _cropSize, _batch, _meanOffset, _meanHeight, _meanWidth;
    private bool _mirror;
    private float _scale;
    private float[]? _mean;
    private float[] _meanValues = [];

    private WindowDataParameter P => Param.WindowDataParam;

    protected override void LayerSetUp(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top)
    {
        var p = Param.WindowDataParam ?? throw Error("needs window_data_param with source and batch_size");
        var t = Param.TransformParam ?? new TransformationParameter();
        _cropSize = (int)(t.HasCropSize ? t.CropSize : p.CropSize);
        _mirror = t.HasMirror ? t.Mirror : p.Mirror;
        _scale = t.HasScale ? t.Scale : p.Scale;
        string meanFile = t.HasMeanFile ? t.MeanFile : p.MeanFile;
        _batch = (int)p.BatchSize;
        if (_cropSize <= 0) throw Error("needs a crop_size (in transform_param): the size each window is warped to");
        if (_batch <= 0) throw Error("window_data_param.batch_size must be positive");
        if (2 * (int)p.ContextPad >= _cropSize) throw Error($"context_pad {p.ContextPad} leaves nothing of a {_cropSize} crop");
        if (p.CropMode is not ("warp" or "square")) throw Error($"crop_mode '{p.CropMode}' is not one Caffe knows (warp or square)");
        if (meanFile.Length > 0 && t.MeanValue.Count > 0) throw Error("give mean_file or mean_value, not both");
        try
        {
            _windows = WindowFile.Read(p.Source, p.RootFolder, p.FgThreshold, p.BgThreshold);
        }
        catch (CortadoException e) when (e is not LayerException) { throw Error(e.Message); }
        int fg = (int)(_batch * p.FgFraction);
        if (fg > 0 && _windows.Foreground.Count == 0) throw Error($"{p.Source} has no foreground window (overlap >= {p.FgThreshold}) to fill {fg} of each batch");
        if (_batch - fg > 0 && _windows.Background.Count == 0) throw Error($"{p.Source} has no background window (overlap < {p.BgThreshold}) to fill {_batch - fg} of each batch");
        _channels = _windows.Images[^1].Channels;
        if (_windows.Images.Any(i => i.Channels != _channels) || _channels is not (1 or 3))
            throw Error($"{p.Source} gives images of {string.Join(", ", _windows.Images.Select(i => i.Channels).Distinct())} channels; WindowData reads all as 3 (colour) or all as 1 (gray)");
        if (meanFile.Length > 0) ReadMean(meanFile);
        _meanValues = [.. t.MeanValue];
        if (_meanValues.Length > 1 && _meanValues.Length != _channels) throw Error($"{_meanValues.Length} mean_value entries for {_channels}-channel images; give one, or one per channel");
        _random = new CaffeRandom(unchecked(Context.Random.Seed * 7 + 3));
        Context.Log.Info("window_data_layer.cpp", $"Window data layer: {_windows.Images.Count} images, {_windows.Foreground.Count} foreground and {_windows.Background.Count} background windows");
    }

    private void ReadMean(string path)
    {
        BlobProto proto;
        try { proto = ProtoFiles.ReadBinary(path, BlobProto.Parser); }
        catch (ModelFileException e) { throw Error($"{e.Message} (its mean_file)"); }
        var blob = new Blob();
        blob.FromProto(proto);
        int axes = blob.NumAxes;
        (_meanHeight, _meanWidth) = (blob.Shape[axes - 2], blob.Shape[axes - 1]);
        if (blob.Count != _channels * _meanHeight * _meanWidth || _meanWidth < _cropSize || _meanHeight < _cropSize)
            throw Error($"mean_file {path} is {blob.ShapeString}; it must be {_channels} x H x W with H and W at least the crop size {_cropSize}");
        _mean = blob.Data.ToArray();
        _meanOffset = (_meanWidth - _cropSize) / 2;
    }

    public override void Reshape(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top)
    {
        top[0].Reshape(_batch, _channels, _cropSize, _cropSize);
        top[1].Reshape(_batch);
    }

    protected override void ForwardCpu(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top)
    {
        var data = top[0].Data;
        data.Clear();
        int foreground = (int)(_batch * P.FgFraction), size = _channels * _cropSize * _cropSize;
        for (int item = 0; item < _batch; item++)
        {
            // Background first, then foreground, as Caffe fills a batch.
            var pool = item < _batch - foreground ? _windows.Background : _windows.Foreground;
            var window = pool[_random.Next(pool.Count)];
            bool mirror = _mirror && _random.Next(2) == 1;
            var (channels, height, width, pixels) = Image(window.Image);
            WindowWarp.Warped warped;
            try { warped = WindowWarp.Apply(pixels, channels, height, width, window, _cropSize, (int)P.ContextPad, P.CropMode == "square", mirror); }
            catch (ArgumentException e) { throw Error($"{_windows.Images[window.Image].Path}: {e.Message}"); }
            Place(warped, data.Slice(item * size, size));
            top[1].Data[item] = window.Label;
        }
    }

    private (int Channels, int Height, int Width, byte[] Pixels) Image(int index)
    {
        if (_cache.TryGetValue(index, out var cached)) return cached;
        var entry = _windows.Images[index];
        (int Channels, int Height, int Width, byte[] Pixels) image;
        try { image = ImageFiles.Load(entry.Path, color: _channels == 3); }
        catch (CortadoException e) when (e is not LayerException) { throw Error(e.Message); }
        if (P.CacheImages) _cache[index] = image;
        return image;
    }

    /// <summary>Writes the warped pixels at their offset, minus the mean there, times scale.</summary>
    private void Place(WindowWarp.Warped warped, Span<float> output)
    {
        for (int c = 0; c < _channels; c++)
            for (int h = 0; h < warped.Height; h++)
                for (int w = 0; w < warped.Width; w++)
                {
                    int y = h + warped.PadH, x = w + warped.PadW;
                    float mean = _mean != null ? _mean[(c * _meanHeight + y + _meanOffset) * _meanWidth + x + _meanOffset]
                        : _meanValues.Length == 0 ? 0f : _meanValues[_meanValues.Length == 1 ? 0 : c];
                    output[(c * _cropSize + y) * _cropSize + x] = (warped.Pixels[(c * warped.Height + h) * warped.Width + w] - mean) * _scale;
                }
    }

    protected override void BackwardCpu(IReadOnlyList<Blob> top, IReadOnlyList<bool> propagateDown, IReadOnlyList<Blob> bottom) { }
}
