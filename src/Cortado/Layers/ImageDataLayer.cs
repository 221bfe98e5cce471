using Cortado.Data;
using Cortado.Errors;
using Cortado.Proto;
using Cortado.Tensors;

namespace Cortado.Layers;

/// <summary>
/// Caffe's ImageData layer: images named in a list file of "path label" lines (relative to
/// root_folder), decoded colour (BGR) or gray, resized to new_height x new_width when given,
/// transformed by transform_param, batch_size per forward pass; shuffle reorders them each epoch.
/// Each epoch's order and each image's crop and mirror are keyed by the layer's seed and the epoch
/// or image index, so a resumed run reads and transforms exactly what the uninterrupted one would.
/// </summary>
[LayerType("ImageData")]
public sealed class ImageDataLayer(LayerParameter param, LayerContext context) : Layer(param, context), IResumableData
{
    public override string Type => "ImageData";
    /// <summary>Host by nature: images decoded on the host.</summary>
    public override bool RunsOnHost => true;
    public override int ExactNumBottomBlobs => 0;
    public override int MinTopBlobs => 1;
    public override int MaxTopBlobs => 2;
    private List<(string Path, int Label)> _listed = [], _lines = [];
    private int _channels, _height, _width, _seed;
    private long _next, _epoch = -1;
    private (int C, int H, int W) _output;
    private DataTransformer? _transformer;
    private CaffeRandom? _random;
    private float[] _image = [];

    private ImageDataParameter P => Param.ImageDataParam;

    protected override void LayerSetUp(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top)
    {
        var p = Param.ImageDataParam ?? throw Error("needs image_data_param with source");
        if ((p.NewHeight > 0) != (p.NewWidth > 0)) throw Error("give both new_height and new_width, or neither");
        try
        {
            _listed = ImageList.Read(p.Source);
            _seed = unchecked(Context.Random.Seed * 5 + 2);
            _random = new CaffeRandom(_seed);
            if (p.RandSkip > 0) _next = new CaffeRandom(Context.Random.Seed * 3 + 1).Next((int)p.RandSkip + 1) % _listed.Count;
            _transformer = new DataTransformer(Param.TransformParam, Phase, _random, Name);
            var first = Load(Line(_next));
            (_channels, _height, _width) = (first.Channels, first.Height, first.Width);
            _output = _transformer.OutputShape(_channels, _height, _width);
            _image = new float[_channels * _height * _width];
        }
        catch (CortadoException e) when (e is not LayerException) { throw Error(e.Message); }
        Reshape(bottom, top);
    }

    public override void Reshape(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top)
    {
        top[0].Reshape((int)P.BatchSize, _output.C, _output.H, _output.W);
        if (top.Count > 1) top[1].Reshape((int)P.BatchSize);
    }

    private (int Channels, int Height, int Width, byte[] Pixels) Load((string Path, int Label) line) =>
        ImageFiles.Load(Path.Combine(P.RootFolder, line.Path), P.IsColor, (int)P.NewHeight, (int)P.NewWidth);

    public (long NextRecord, int TransformSeed) Position => (_next, _seed);

    public void Resume(long nextRecord, int transformSeed)
    {
        (_next, _seed) = (nextRecord, transformSeed);
        _epoch = -1;
    }

    protected override void ForwardCpu(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top)
    {
        int size = _output.C * _output.H * _output.W;
        for (int n = 0; n < (int)P.BatchSize; n++)
        {
            var line = Line(_next);
            var (channels, height, width, pixels) = Load(line);
            if ((channels, height, width) != (_channels, _height, _width))
                throw Error($"{line.Path} is {channels} x {height} x {width} but the first image is {_channels} x {_height} x {_width}; set new_height and new_width to resize them");
            for (int i = 0; i < pixels.Length; i++) _image[i] = pixels[i];
            if (_transformer!.IsRandom) _random!.Reseed(CaffeRandom.Keyed(_seed, _next));
            _transformer.Transform(_image, channels, height, width, top[0].Data.Slice(n * size, size));
            if (top.Count > 1) top[1].Data[n] = line.Label;
            _next++;
        }
    }

    protected override void BackwardCpu(IReadOnlyList<Blob> top, IReadOnlyList<bool> propagateDown, IReadOnlyList<Blob> bottom) { }

    /// <summary>Image <paramref name="index"/> counted over all epochs; with shuffle each epoch has its own order.</summary>
    private (string Path, int Label) Line(long index)
    {
        long epoch = index / _listed.Count;
        if (epoch != _epoch)
        {
            _lines = [.. _listed];
            if (P.Shuffle)
            {
                var order = new CaffeRandom(CaffeRandom.Keyed(~_seed, epoch));
                for (int i = _lines.Count - 1; i > 0; i--) { int j = order.Next(i + 1); (_lines[i], _lines[j]) = (_lines[j], _lines[i]); }
            }
            _epoch = epoch;
        }
        return _lines[(int)(index % _listed.Count)];
    }
}
