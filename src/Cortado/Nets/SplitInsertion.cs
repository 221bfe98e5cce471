using Cortado.Proto;

namespace Cortado.Nets;

/// <summary>
/// Where one top feeds several bottoms, inserts a Split layer so every blob has one reader
/// and backward can overwrite diffs (the Split sums them). Names follow Caffe's:
/// layer <c>{blob}_{layer}_{i}_split</c>, tops <c>{blob}_{layer}_{i}_split_{j}</c>.
/// A top with a loss weight that is also read elsewhere keeps one split output for the loss.
/// </summary>
public static class SplitInsertion
{
    public static NetParameter Insert(NetParameter net)
    {
        // Who produced each blob name most recently, and how often each (producer, top) is read.
        var producer = new Dictionary<string, (int Layer, int Top)>();
        var readers = new Dictionary<(int Layer, int Top), int>();
        var lossWeighted = new HashSet<(int, int)>();
        for (int i = 0; i < net.Layer.Count; i++)
        {
            var layer = net.Layer[i];
            foreach (var bottom in layer.Bottom)
                if (producer.TryGetValue(bottom, out var source)) readers[source] = readers.GetValueOrDefault(source) + 1;
            for (int t = 0; t < layer.Top.Count; t++)
            {
                producer[layer.Top[t]] = (i, t);
                if (t < layer.LossWeight.Count && layer.LossWeight[t] != 0f) lossWeighted.Add((i, t));
            }
        }

        var result = net.Clone();
        result.Layer.Clear();
        var renamed = new Dictionary<(int, int), (string BaseName, int Next)>();
        producer.Clear();
        for (int i = 0; i < net.Layer.Count; i++)
        {
            var layer = net.Layer[i].Clone();
            for (int b = 0; b < layer.Bottom.Count; b++)
            {
                if (!producer.TryGetValue(layer.Bottom[b], out var source) || !renamed.TryGetValue(source, out var split)) continue;
                layer.Bottom[b] = $"{split.BaseName}_{split.Next}";
                renamed[source] = (split.BaseName, split.Next + 1);
            }
            result.Layer.Add(layer);
            for (int t = 0; t < layer.Top.Count; t++)
            {
                var key = (i, t);
                producer[layer.Top[t]] = key;
                int count = readers.GetValueOrDefault(key) + (lossWeighted.Contains(key) ? 1 : 0);
                if (count <= 1) continue;
                string blob = layer.Top[t];
                string splitName = $"{blob}_{layer.Name}_{t}_split";
                var split = new LayerParameter { Name = splitName, Type = "Split", Bottom = { blob } };
                for (int j = 0; j < count; j++) split.Top.Add($"{splitName}_{j}");
                if (lossWeighted.Contains(key))
                {
                    // The loss keeps its weight on the first split output; the producer's top carries none.
                    split.LossWeight.Add(layer.LossWeight[t]);
                    for (int j = 1; j < count; j++) split.LossWeight.Add(0f);
                    layer.LossWeight[t] = 0f;
                }
                result.Layer.Add(split);
                renamed[key] = (splitName, lossWeighted.Contains(key) ? 1 : 0);
            }
        }
        return result;
    }
}
