using System.Collections.Concurrent;
using Cortado.Data;
using Cortado.Errors;
using Cortado.Proto;
using Cortado.Tensors;

namespace Cortado.Layers;

/// <summary>
/// Caffe's Data layer over an LMDB of Datum records: batch_size images (transformed by
/// transform_param) and their labels per forward pass, reading the database in key order and
/// starting again at the end, after skipping a random number of records up to rand_skip.
/// A background thread keeps <c>prefetch</c> batches ready so the solver never waits on the disk.
/// </summary>
[LayerType("Data")]
public sealed class DataLayer(LayerParameter param, LayerContext context) : Layer(param, context), IDisposable
{
    public override string Type => "Data";
    public override int ExactNumBottomBlobs => 0;
    public override int MinTopBlobs => 1;
    public override int MaxTopBlobs => 2;

    private sealed record Batch(float[] Data, float[] Labels, Exception? Error);

    private BlockingCollection<Batch>? _queue;
    // Filled batches go back here once copied out, so the loop allocates nothing (Caffe's prefetch_free_).
    private readonly ConcurrentQueue<Batch> _free = new();
    private CancellationTokenSource? _stop;
    private Thread? _reader;
    private int _batch, _channels, _height, _width;
    private (int C, int H, int W) _output;

    protected override void LayerSetUp(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top)
    {
        var p = Param.DataParam ?? throw Error("needs data_param with source and batch_size");
        if (!p.HasSource || p.Source.Length == 0) throw Error("data_param.source is not set");
        if (p.BatchSize == 0) throw Error("data_param.batch_size must be positive");
        _batch = (int)p.BatchSize;
        if (p.Backend == DataParameter.Types.DB.Leveldb && Directory.Exists(p.Source) && File.Exists(Path.Combine(p.Source, "data.mdb")))
            Context.Log.Warning("data_layer.cs", $"{Name}: backend is LEVELDB (Caffe's default) but {p.Source} is an LMDB; reading it as LMDB. Add backend: LMDB.");

        var transformer = new DataTransformer(Param.TransformParam, Phase, new CaffeRandom(Context.Random.Seed * 31 + 7));
        try
        {
            using var reader = new LmdbReader(p.Source);
            var (key, value) = reader.Next();
            var datum = DatumRecords.Parse(value, p.Source, key);
            (_channels, _height, _width) = DatumImage.Shape(datum, transformer.ColorMode, $"{p.Source} record '{key}'");
            _output = transformer.OutputShape(_channels, _height, _width);
            Context.Log.Info("data_layer.cs", $"{Name}: opened LMDB {p.Source} ({reader.Count} records of {_channels} x {_height} x {_width})");
        }
        catch (CortadoException e) when (e is not LayerException) { throw Error(e.Message); }

        top[0].Reshape(_batch, _output.C, _output.H, _output.W);
        if (top.Count > 1) top[1].Reshape(_batch);
        _queue = new BlockingCollection<Batch>(Math.Max(1, (int)p.Prefetch));
        _stop = new CancellationTokenSource();
        var skip = p.RandSkip > 0 ? new CaffeRandom(Context.Random.Seed * 17 + 3).Next((int)p.RandSkip + 1) : 0;
        _reader = new Thread(() => Produce(p.Source, skip, transformer, _stop.Token)) { IsBackground = true, Name = $"data:{Name}" };
        _reader.Start();
    }

    public override void Reshape(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top)
    {
        top[0].Reshape(_batch, _output.C, _output.H, _output.W);
        if (top.Count > 1) top[1].Reshape(_batch);
    }

    protected override void ForwardCpu(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top)
    {
        var batch = _queue!.Take();
        if (batch.Error != null) throw batch.Error is LayerException ? batch.Error : Error(batch.Error.Message);
        batch.Data.CopyTo(top[0].Data);
        if (top.Count > 1) batch.Labels.CopyTo(top[1].Data);
        _free.Enqueue(batch);
    }

    protected override void BackwardCpu(IReadOnlyList<Blob> top, IReadOnlyList<bool> propagateDown, IReadOnlyList<Blob> bottom) { }

    private void Produce(string source, int skip, DataTransformer transformer, CancellationToken stop)
    {
        try
        {
            using var reader = new LmdbReader(source);
            for (int i = 0; i < skip; i++) reader.Next();
            int inputSize = _channels * _height * _width, outputSize = _output.C * _output.H * _output.W;
            var image = new float[inputSize];
            while (!stop.IsCancellationRequested)
            {
                if (!_free.TryDequeue(out var recycled)) recycled = new Batch(new float[_batch * outputSize], new float[_batch], null);
                var (data, labels) = (recycled.Data, recycled.Labels);
                for (int n = 0; n < _batch; n++)
                {
                    var (key, value) = reader.Next();
                    string where = $"{source} record '{key}'";
                    var datum = DatumRecords.Parse(value, source, key);
                    if (!datum.Encoded && (datum.Channels != _channels || datum.Height != _height || datum.Width != _width))
                        throw new DataException(where, $"is {datum.Channels} x {datum.Height} x {datum.Width} but the first record is {_channels} x {_height} x {_width}; all records must have one shape");
                    DatumImage.Read(datum, image, transformer.ColorMode, where);
                    transformer.Transform(image, _channels, _height, _width, data.AsSpan(n * outputSize, outputSize));
                    labels[n] = datum.Label;
                }
                _queue!.Add(recycled, stop);
            }
        }
        catch (OperationCanceledException) { }
        catch (Exception e)
        {
            try { _queue!.Add(new Batch([], [], e)); } catch (InvalidOperationException) { }
        }
    }

    public void Dispose()
    {
        _stop?.Cancel();
        _reader?.Join(TimeSpan.FromSeconds(5));
        _queue?.Dispose();
        _stop?.Dispose();
    }
}
