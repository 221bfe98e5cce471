using System.Text.Json.Nodes;
using Cortado.Proto;

namespace Cortado.Keras;

/// <summary>
/// Keras's Cropping2D(cropping = ((top, bottom), (left, right))): rows and columns removed at the
/// edges. Written exactly as Caffe Slice layers on the height and width axes, the cut-off parts
/// going to a Silence layer.
/// </summary>
public sealed class Cropping2D(((int Top, int Bottom) Rows, (int Left, int Right) Columns) cropping) : KerasLayer
{
    public Cropping2D(int cropping) : this(((cropping, cropping), (cropping, cropping))) { }
    public Cropping2D((int Height, int Width) cropping) : this(((cropping.Height, cropping.Height), (cropping.Width, cropping.Width))) { }

    public override string ClassName => "Cropping2D";
    public override string NamePrefix => "cropping2d";
    public ((int Top, int Bottom) Rows, (int Left, int Right) Columns) Cropping { get; } = cropping;
    internal override JsonObject Config(KerasVersion format) => new() { ["cropping"] = KerasJson.Pairs(Cropping), ["data_format"] = "channels_last" };

    internal override int[] OutputShape(int[] input)
    {
        var (h, w, c) = (Spatial(input, Name!, ClassName)[0], input[1], input[2]);
        var ((top, bottom), (left, right)) = Cropping;
        if (top < 0 || bottom < 0 || left < 0 || right < 0) throw Error($"cropping must not be negative, got {Cropping}");
        if (top + bottom >= h || left + right >= w) throw Error($"cropping {Cropping} leaves nothing of the {h}x{w} input");
        return [h - top - bottom, w - left - right, c];
    }

    internal override string ToCaffe(string bottom, int[] input, List<LayerParameter> layers, List<string> notes)
    {
        var ((top, bottomRows), (left, right)) = Cropping;
        string blob = Cut(bottom, 2, top, input[0] - bottomRows, input[0], "rows", layers);
        blob = Cut(blob, 3, left, input[1] - right, input[1], "columns", layers);
        if (blob == bottom)
        {
            layers.Add(new LayerParameter { Name = Name, Type = "Split", Bottom = { bottom }, Top = { Name } });
            return Name!;
        }
        return blob;
    }

    /// <summary>Keeps [from, to) of <paramref name="axis"/> (of size <paramref name="size"/>); the rest goes to a Silence layer.</summary>
    private string Cut(string bottom, int axis, int from, int to, int size, string what, List<LayerParameter> layers)
    {
        if (from == 0 && to == size) return bottom;
        string name = $"{Name}_{what}";
        var slice = new LayerParameter { Name = name, Type = "Slice", Bottom = { bottom }, SliceParam = new SliceParameter { Axis = axis } };
        var dropped = new List<string>();
        if (from > 0) { slice.SliceParam.SlicePoint.Add((uint)from); slice.Top.Add(name + "_before"); dropped.Add(name + "_before"); }
        slice.Top.Add(name);
        if (to < size) { slice.SliceParam.SlicePoint.Add((uint)to); slice.Top.Add(name + "_after"); dropped.Add(name + "_after"); }
        layers.Add(slice);
        layers.Add(new LayerParameter { Name = name + "_silence", Type = "Silence", Bottom = { dropped } });
        return name;
    }
}
