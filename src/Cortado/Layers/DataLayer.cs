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
/// In data-parallel training rank r of N reads the r-th of every N consecutive batches; its
/// position counts the records of all ranks, so a snapshot resumes on any number of them.
/// </summary>
[LayerType("Data")]
public sealed class DataLayer(LayerParameter param, LayerContext context) : Layer(param, context), IResumableData, IDisposable
{
    public override string Type => "Data";
    /// <summary>Host by nature: records decoded on the host.</summary>
    public override bool RunsOnHost => true;
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
    private bool _labelled;
    private string _source = "";
    private DataTransformer? _transformer;
    // Crop and mirror draws are keyed by (seed, record index), so any record's transform can be repeated on resume.
    private CaffeRandom? _transformRandom;
    private int _transformSeed;
    private long _nextRecord;
    private (int C, int H, int W) _output;

    protected override void LayerSetUp(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top)
    {
        var p = Param.DataParam ?? throw Error("needs data_param with source and batch_size");
        if (!p.HasSource || p.Source.Length == 0) throw Error("data_param.source is not set");
        if (p.BatchSize == 0) throw Error("data_param.batch_size must be positive");
        _batch = (int)p.BatchSize;
        // The database's own files say what it is; a backend that disagrees is noted, not obeyed.
        if (p.Backend == DataParameter.Types.DB.Leveldb && Directory.Exists(p.Source) && File.Exists(Path.Combine(p.Source, "data.mdb")))
            Context.Log.Warning("data_layer.cs", $"{Name}: backend is LEVELDB (Caffe's default) but {p.Source} is an LMDB; reading it as LMDB. Add backend: LMDB.");
        if (p.Backend == DataParameter.Types.DB.Lmdb && RecordDatabases.IsLevelDb(p.Source))
            Context.Log.Warning("data_layer.cs", $"{Name}: backend is LMDB but {p.Source} is a LevelDB; reading it as LevelDB. Set backend: LEVELDB.");

        _source = p.Source;
        _transformSeed = unchecked(Context.Random.Seed * 31 + 7);
        _transformRandom = new CaffeRandom(_transformSeed);
        var transformer = _transformer = new DataTransformer(Param.TransformParam, Phase, _transformRandom, Name);
        try
        {
            using var reader = RecordDatabases.OpenReader(p.Source);
            var (key, value) = reader.Next();
            var datum = DatumRecords.Parse(value, p.Source, key);
            (_channels, _height, _width) = DatumImage.Shape(datum, transformer.ColorMode, $"{p.Source} record '{key}'");
            if (top.Count > 1) RequireLabel(datum, $"{p.Source} record '{key}'");
            _output = transformer.OutputShape(_channels, _height, _width);
            Context.Log.Info("data_layer.cs", $"{Name}: opened LMDB {p.Source} ({reader.Count} records of {_channels} x {_height} x {_width})");
        }
        catch (CortadoException e) when (e is not LayerException) { throw Error(e.Message); }

        top[0].Reshape(_batch, _output.C, _output.H, _output.W);
        if (top.Count > 1) top[1].Reshape(_batch);
        _labelled = top.Count > 1;
        _queue = new BlockingCollection<Batch>(Math.Max(1, (int)p.Prefetch));
        _nextRecord = p.RandSkip > 0 ? new CaffeRandom(Context.Random.Seed * 17 + 3).Next((int)p.RandSkip + 1) : 0;
        StartReader();
    }

    public (long NextRecord, int TransformSeed) Position => (_nextRecord, _transformSeed);

    public void Resume(long nextRecord, int transformSeed)
    {
        StopReader();
        while (_queue!.TryTake(out var ahead)) if (ahead.Error == null) _free.Enqueue(ahead);
        (_nextRecord, _transformSeed) = (nextRecord, transformSeed);
        StartReader();
    }

    private void StartReader()
    {
        var stop = _stop = new CancellationTokenSource();
        long first = _nextRecord;
        _reader = new Thread(() => Produce(_source, first, _transformer!, stop.Token)) { IsBackground = true, Name = $"data:{Name}" };
        _reader.Start();
    }

    private void StopReader()
    {
        _stop?.Cancel();
        _reader?.Join();
        _stop?.Dispose();
        _stop = null;
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
        _nextRecord += (long)_batch * Context.Shard.Ranks;
    }

    protected override void BackwardCpu(IReadOnlyList<Blob> top, IReadOnlyList<bool> propagateDown, IReadOnlyList<Blob> bottom) { }

    private void Produce(string source, long first, DataTransformer transformer, CancellationToken stop)
    {
        try
        {
            using var reader = RecordDatabases.OpenReader(source);
            var shard = Context.Shard;
            long others = (long)(shard.Ranks - 1) * _batch;
            for (long i = 0, skip = (first + (long)shard.Rank * _batch) % reader.Count; i < skip; i++) reader.Next();
            long index = first + (long)shard.Rank * _batch;
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
                    if (_labelled) RequireLabel(datum, where);
                    DatumImage.Read(datum, image, transformer.ColorMode, where);
                    if (transformer.IsRandom) _transformRandom!.Reseed(CaffeRandom.Keyed(_transformSeed, index));
                    index++;
                    transformer.Transform(image, _channels, _height, _width, data.AsSpan(n * outputSize, outputSize));
                    labels[n] = datum.Label;
                }
                // The other ranks' batches of this group.
                for (long i = 0; i < others % reader.Count; i++) reader.Next();
                index += others;
                _queue!.Add(recycled, stop);
            }
        }
        catch (OperationCanceledException) { }
        catch (Exception e)
        {
            try { _queue!.Add(new Batch([], [], e)); } catch (InvalidOperationException) { }
        }
    }

    /// <summary>A record without a label would train as class 0; with a label top that is a broken dataset, not a choice.</summary>
    private static void RequireLabel(Datum datum, string where)
    {
        if (!datum.HasLabel) throw new DataException(where, "has no label, but this Data layer has a label top; write the labels, or give the layer one top");
    }

    public void Dispose()
    {
        _stop?.Cancel();
        _reader?.Join(TimeSpan.FromSeconds(5));
        _queue?.Dispose();
        _stop?.Dispose();
    }
}
