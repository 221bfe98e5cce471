using Cortado.Data;
using Cortado.Errors;
using Cortado.Proto;
using Cortado.Tensors;

namespace Cortado.Layers;

/// <summary>
/// Caffe's ImageData layer: images named in a list file of "path label" lines (relative to
/// root_folder), decoded colour (BGR) or gray, resized to new_height x new_width when given,
/// transformed by transform_param, batch_size per forward pass; shuffle reorders them each epoch.
/// </summary>
[LayerType("ImageData")]
public sealed class ImageDataLayer(LayerParameter param, LayerContext context) : Layer(param, context)
{
    public override string Type => "ImageData";
    public override int ExactNumBottomBlobs => 0;
    public override int MinTopBlobs => 1;
    public override int MaxTopBlobs => 2;
    private List<(string Path, int Label)> _lines = [];
    private int _position, _channels, _height, _width;
    private (int C, int H, int W) _output;
    private DataTransformer? _transformer;
    private CaffeRandom? _shuffle;

    private ImageDataParameter P => Param.ImageDataParam;

    protected override void LayerSetUp(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top)
    {
        var p = Param.ImageDataParam ?? throw Error("needs image_data_param with source");
        if ((p.NewHeight > 0) != (p.NewWidth > 0)) throw Error("give both new_height and new_width, or neither");
        try
        {
            _lines = ImageList.Read(p.Source);
            if (p.Shuffle) { _shuffle = new CaffeRandom(Context.Random.Seed * 7 + 11); Shuffle(); }
            if (p.RandSkip > 0) _position = new CaffeRandom(Context.Random.Seed * 3 + 1).Next((int)p.RandSkip + 1) % _lines.Count;
            _transformer = new DataTransformer(Param.TransformParam, Phase, new CaffeRandom(Context.Random.Seed * 5 + 2));
            var first = Load(_lines[_position]);
            (_channels, _height, _width) = (first.Channels, first.Height, first.Width);
            _output = _transformer.OutputShape(_channels, _height, _width);
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

    protected override void ForwardCpu(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top)
    {
        int size = _output.C * _output.H * _output.W;
        var image = new float[_channels * _height * _width];
        for (int n = 0; n < (int)P.BatchSize; n++)
        {
            var line = _lines[_position];
            var (channels, height, width, pixels) = Load(line);
            if ((channels, height, width) != (_channels, _height, _width))
                throw Error($"{line.Path} is {channels} x {height} x {width} but the first image is {_channels} x {_height} x {_width}; set new_height and new_width to resize them");
            for (int i = 0; i < pixels.Length; i++) image[i] = pixels[i];
            _transformer!.Transform(image, channels, height, width, top[0].Data.Slice(n * size, size));
            if (top.Count > 1) top[1].Data[n] = line.Label;
            if (++_position == _lines.Count) { _position = 0; if (_shuffle != null) Shuffle(); }
        }
    }

    protected override void BackwardCpu(IReadOnlyList<Blob> top, IReadOnlyList<bool> propagateDown, IReadOnlyList<Blob> bottom) { }

    private void Shuffle()
    {
        for (int i = _lines.Count - 1; i > 0; i--) { int j = _shuffle!.Next(i + 1); (_lines[i], _lines[j]) = (_lines[j], _lines[i]); }
    }
}
