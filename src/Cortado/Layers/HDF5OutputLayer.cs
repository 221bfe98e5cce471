using Cortado.IO;
using Cortado.Proto;
using Cortado.Tensors;

namespace Cortado.Layers;

/// <summary>
/// Writes its two bottoms to an HDF5 file (hdf5_output_param.file_name) as the datasets "data" and
/// "label", the way Caffe's HDF5Output names them, so HDF5Data or h5py reads them back. Every
/// forward pass's batch is kept, stacked along the first axis (Caffe's layer fails on a second pass,
/// when its datasets exist), and the file is written atomically when the net is done (disposed):
/// a run that dies leaves no half-written file. No tops, no gradient.
/// </summary>
[LayerType("HDF5Output")]
public sealed class HDF5OutputLayer(LayerParameter param, LayerContext context) : Layer(param, context), IDisposable
{
    public override string Type => "HDF5Output";
    public override bool RunsOnHost => true;
    public override int ExactNumBottomBlobs => 2;
    public override int ExactNumTopBlobs => 0;
    private readonly List<float>[] _values = [[], []];
    private readonly int[][] _shapes = [[], []];
    private int _rows;
    private string _path = "";

    protected override void LayerSetUp(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top)
    {
        _path = Param.Hdf5OutputParam?.FileName ?? "";
        if (_path.Length == 0) throw Error("needs hdf5_output_param { file_name: \"...\" }, the file to write");
    }

    public override void Reshape(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top)
    {
        for (int b = 0; b < 2; b++)
        {
            if (bottom[b].NumAxes == 0) throw Error($"bottom {b} must have a first (batch) axis, got a scalar");
            if (_rows > 0 && !bottom[b].Shape.Skip(1).SequenceEqual(_shapes[b].Skip(1)))
                throw Error($"bottom {b} changed shape from {string.Join(" ", _shapes[b].Skip(1))} per sample to {bottom[b].ShapeString}; one file holds one shape");
        }
        if (bottom[0].Shape[0] != bottom[1].Shape[0])
            throw Error($"data ({bottom[0].ShapeString}) and label ({bottom[1].ShapeString}) must have the same number of samples");
    }

    protected override void ForwardCpu(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top)
    {
        for (int b = 0; b < 2; b++)
        {
            _values[b].AddRange(bottom[b].HostData);
            _shapes[b] = [.. bottom[b].Shape];
        }
        _rows += bottom[0].Shape[0];
    }

    protected override void BackwardCpu(IReadOnlyList<Blob> top, IReadOnlyList<bool> propagateDown, IReadOnlyList<Blob> bottom) { }

    /// <summary>Writes what the forward passes gave (nothing when there was none).</summary>
    public void Dispose()
    {
        if (_rows == 0) return;
        ulong[] Dims(int b) => [(ulong)_rows, .. _shapes[b].Skip(1).Select(d => (ulong)d)];
        var file = new PureHDF.H5File
        {
            ["data"] = new PureHDF.H5Dataset(_values[0].ToArray(), fileDims: Dims(0)),
            ["label"] = new PureHDF.H5Dataset(_values[1].ToArray(), fileDims: Dims(1)),
        };
        AtomicFile.WriteVia(_path, temporary => Hdf5Snapshots.WriteFile(file, temporary, _path));
        _rows = 0;
    }
}
