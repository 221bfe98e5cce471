using Cortado.Nets;
using Cortado.Tensors;

namespace Cortado.Distributed;

/// <summary>
/// Averages a net's parameter gradients over the ranks of a job, overlapping the communication with
/// backward: the parameters of each layer form a bucket whose sum starts as soon as the last layer
/// that touches them has run its backward (Net.LayerBackwardDone), and <see cref="Finish"/> waits
/// for the sums and writes the means back, so every rank applies the same update. The mean (sum over
/// N) makes N ranks of batch B equal one process of batch N x B, as Caffe's multi-GPU training does.
/// </summary>
public sealed class GradientAllreduce : IDisposable
{
    private readonly Net _net;
    private readonly ICommunicator _communicator;
    private readonly List<Bucket> _buckets = [];
    private readonly Dictionary<int, Bucket> _byLayer = [];
    private bool _armed;

    private sealed class Bucket(List<Blob> parameters)
    {
        public List<Blob> Parameters { get; } = parameters;
        public float[] Buffer { get; } = GC.AllocateArray<float>(parameters.Sum(p => p.Count), pinned: true);
        public IPendingSum? Pending { get; set; }
    }

    public GradientAllreduce(Net net, ICommunicator communicator)
    {
        (_net, _communicator) = (net, communicator);
        // A parameter is final after the earliest layer that uses it has run backward (backward runs last to first).
        var readyAfter = new Dictionary<Blob, int>(ReferenceEqualityComparer.Instance);
        for (int i = 0; i < net.Layers.Count; i++)
            foreach (var blob in net.Layers[i].Blobs)
                if (!readyAfter.ContainsKey(blob)) readyAfter[blob] = i;
        foreach (var group in net.LearnableParams.GroupBy(p => readyAfter.TryGetValue(p, out int layer) ? layer : -1).OrderByDescending(g => g.Key))
        {
            var bucket = new Bucket([.. group]);
            _buckets.Add(bucket);
            if (group.Key >= 0) _byLayer[group.Key] = bucket;
        }
        net.LayerBackwardDone += OnLayerDone;
    }

    /// <summary>Makes the next backward start the sums (with iter_size, only its last pass).</summary>
    public void Arm() => _armed = true;

    private void OnLayerDone(int layer)
    {
        if (!_armed) return;
        foreach (var bucket in _buckets) bucket.Pending?.Poll();
        if (_byLayer.TryGetValue(layer, out var ready)) Start(ready);
    }

    private void Start(Bucket bucket)
    {
        int offset = 0;
        foreach (var blob in bucket.Parameters)
        {
            blob.HostDiff.CopyTo(bucket.Buffer.AsSpan(offset, blob.Count));
            offset += blob.Count;
        }
        bucket.Pending = _communicator.StartSum(bucket.Buffer);
    }

    /// <summary>Starts what backward did not, waits for every sum, and leaves each diff the mean over the ranks.</summary>
    public void Finish()
    {
        _armed = false;
        float scale = 1f / _communicator.Size;
        foreach (var bucket in _buckets)
        {
            if (bucket.Pending == null) Start(bucket);
            bucket.Pending!.Wait();
            bucket.Pending = null;
            int offset = 0;
            foreach (var blob in bucket.Parameters)
            {
                System.Numerics.Tensors.TensorPrimitives.Multiply(bucket.Buffer.AsSpan(offset, blob.Count), scale, blob.Diff);
                offset += blob.Count;
            }
        }
    }

    public void Dispose() => _net.LayerBackwardDone -= OnLayerDone;
}
