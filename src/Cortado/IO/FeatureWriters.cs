using System.Globalization;
using System.Text;
using Cortado.Data;
using Cortado.Proto;
using Google.Protobuf;

namespace Cortado.IO;

/// <summary>Where extracted features go: one record (or row) per image, in the order the net saw them.</summary>
public interface IFeatureWriter : IDisposable
{
    void Add(ReadOnlySpan<float> features);
    /// <summary>Writes what was added and makes the output visible (the LMDB moved into place, the file renamed over).</summary>
    void Complete();
}

/// <summary>
/// Feature outputs in the forms Caffe's extract_features and its users read: an LMDB of float
/// Datums keyed by a 10-digit image index (Caffe's own), an HDF5 file with one dataset "data" of
/// N x C x H x W, or a NumPy .npy array of the same shape.
/// </summary>
public static class FeatureWriters
{
    public static IFeatureWriter Create(string format, string path, IReadOnlyList<int> featureShape) => format switch
    {
        "lmdb" => new DatumFeatures(RecordDatabases.CreateWriter(path, RecordBackend.Lmdb), featureShape),
        "leveldb" => new DatumFeatures(RecordDatabases.CreateWriter(path, RecordBackend.LevelDb), featureShape),
        "hdf5" => new ArrayFeatures(path, featureShape, WriteHdf5),
        "npy" => new ArrayFeatures(path, featureShape, WriteNpy),
        _ => throw new Errors.CortadoException($"unknown feature format '{format}'; use lmdb, leveldb, hdf5 or npy"),
    };

    private sealed class DatumFeatures(IRecordWriter writer, IReadOnlyList<int> shape) : IFeatureWriter
    {
        private readonly IRecordWriter _writer = writer;
        private int _count;

        public void Add(ReadOnlySpan<float> features)
        {
            // As extract_features: channels, height, width from the blob's axes 1..3 (1 where missing).
            var datum = new Datum { Channels = shape.Count > 0 ? shape[0] : 1, Height = shape.Count > 1 ? shape[1] : 1, Width = shape.Count > 2 ? shape[2] : 1 };
            datum.FloatData.Add(features.ToArray());
            _writer.Put(_count++.ToString("D10", CultureInfo.InvariantCulture), datum.ToByteArray());
        }

        public void Complete() => _writer.Complete();
        public void Dispose() => _writer.Dispose();
    }

    private sealed class ArrayFeatures(string path, IReadOnlyList<int> shape, Action<string, List<float>, ulong[]> write) : IFeatureWriter
    {
        private readonly List<float> _values = [];
        private int _count;

        public void Add(ReadOnlySpan<float> features)
        {
            foreach (float v in features) _values.Add(v);
            _count++;
        }

        public void Complete() => write(path, _values, [(ulong)_count, .. shape.Select(d => (ulong)d)]);
        public void Dispose() { }
    }

    private static void WriteHdf5(string path, List<float> values, ulong[] dims)
    {
        var file = new PureHDF.H5File { ["data"] = new PureHDF.H5Dataset(values.ToArray(), fileDims: dims) };
        AtomicFile.WriteVia(path, temporary => Hdf5Snapshots.WriteFile(file, temporary, path));
    }

    /// <summary>NumPy's format 1.0: magic, a header dict padded to 64 bytes and ending in a newline, then little-endian float32.</summary>
    private static void WriteNpy(string path, List<float> values, ulong[] dims)
    {
        string shape = dims.Length == 1 ? $"({dims[0]},)" : "(" + string.Join(", ", dims) + ")";
        string header = $"{{'descr': '<f4', 'fortran_order': False, 'shape': {shape}, }}";
        int total = 10 + header.Length + 1;
        header = header.PadRight(header.Length + (64 - total % 64) % 64) + "\n";
        AtomicFile.Write(path, stream =>
        {
            stream.Write([0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', 1, 0]);
            stream.Write(BitConverter.GetBytes((ushort)header.Length));
            stream.Write(Encoding.ASCII.GetBytes(header));
            var bytes = new byte[values.Count * 4];
            Buffer.BlockCopy(values.ToArray(), 0, bytes, 0, bytes.Length);
            stream.Write(bytes);
        });
    }
}
