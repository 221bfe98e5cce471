using Cortado.Errors;
using Cortado.Proto;
using Cortado.Tensors;
using PureHDF;

namespace Cortado.Layers;

/// <summary>
/// Caffe's HDF5Data layer: source is a text file listing .h5 files; each holds one float dataset
/// per top, named as the top, with samples along the first axis. batch_size rows per forward
/// pass, file after file, round and round; shuffle reorders the files and the rows in each.
/// </summary>
[LayerType("HDF5Data")]
public sealed class HDF5DataLayer(LayerParameter param, LayerContext context) : Layer(param, context)
{
    public override string Type => "HDF5Data";
    /// <summary>Host by nature: rows read from HDF5 on the host.</summary>
    public override bool RunsOnHost => true;
    public override int ExactNumBottomBlobs => 0;
    public override int MinTopBlobs => 1;
    private List<string> _files = [];
    private int _file, _row, _batch;
    private float[][] _current = [];
    private int[][] _shapes = [];
    private int[] _order = [];
    private CaffeRandom? _random;

    protected override void LayerSetUp(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top)
    {
        var p = Param.Hdf5DataParam ?? throw Error("needs hdf5_data_param with source and batch_size");
        if (p.BatchSize == 0) throw Error("hdf5_data_param.batch_size must be positive");
        _batch = (int)p.BatchSize;
        if (!File.Exists(p.Source)) throw Error($"{p.Source}: file not found (expected a text file listing .h5 files)");
        _files = File.ReadAllLines(p.Source).Select(l => l.Trim()).Where(l => l.Length > 0).ToList();
        if (_files.Count == 0) throw Error($"{p.Source} lists no HDF5 files");
        if (p.Shuffle) { _random = new CaffeRandom(Context.Random.Seed * 13 + 5); Shuffle(_files); }
        Load(0, top.Select(t => t.Name).ToList());
        for (int t = 0; t < top.Count; t++) top[t].Reshape([_batch, .. _shapes[t].Skip(1)]);
    }

    public override void Reshape(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top)
    {
        for (int t = 0; t < top.Count; t++) top[t].Reshape([_batch, .. _shapes[t].Skip(1)]);
    }

    private void Load(int index, IReadOnlyList<string> names)
    {
        string path = _files[index];
        try
        {
            IO.Hdf5Header.Check(path);
            using var file = H5File.OpenRead(path);
            _current = new float[names.Count][];
            var shapes = new int[names.Count][];
            for (int t = 0; t < names.Count; t++)
            {
                var dataset = file.Dataset(names[t]);
                shapes[t] = dataset.Space.Dimensions.Select(d => (int)d).ToArray();
                _current[t] = dataset.Read<float[]>();
                if (_shapes.Length == names.Count && !_shapes[t].Skip(1).SequenceEqual(shapes[t].Skip(1)))
                    throw Error($"{path}: dataset '{names[t]}' has rows of shape {string.Join(" x ", shapes[t].Skip(1))}, the first file's are {string.Join(" x ", _shapes[t].Skip(1))}");
            }
            if (shapes.Any(s => s[0] != shapes[0][0])) throw Error($"{path}: the datasets {string.Join(", ", names)} have different numbers of rows");
            _shapes = shapes;
        }
        catch (Exception e) when (e is not CortadoException)
        {
            throw Error($"{path}: cannot read datasets {string.Join(", ", names.Select(n => $"'{n}'"))} ({e.Message})");
        }
        _order = Enumerable.Range(0, _shapes[0][0]).ToArray();
        if (_random != null) Shuffle(_order);
        (_file, _row) = (index, 0);
    }

    protected override void ForwardCpu(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top)
    {
        for (int n = 0; n < _batch; n++)
        {
            if (_row == _order.Length)
            {
                int next = (_file + 1) % _files.Count;
                if (next == 0 && _random != null) Shuffle(_files);
                if (_files.Count > 1 || _random != null) Load(next, top.Select(t => t.Name).ToList());
                else _row = 0;
            }
            for (int t = 0; t < top.Count; t++)
            {
                int size = top[t].CountFrom(1);
                _current[t].AsSpan(_order[_row] * size, size).CopyTo(top[t].Data.Slice(n * size, size));
            }
            _row++;
        }
    }

    protected override void BackwardCpu(IReadOnlyList<Blob> top, IReadOnlyList<bool> propagateDown, IReadOnlyList<Blob> bottom) { }

    private void Shuffle<T>(IList<T> items)
    {
        for (int i = items.Count - 1; i > 0; i--) { int j = _random!.Next(i + 1); (items[i], items[j]) = (items[j], items[i]); }
    }
}
