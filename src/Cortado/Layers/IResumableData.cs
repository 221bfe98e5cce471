namespace Cortado.Layers;

/// <summary>
/// A data layer whose place in its data can be saved with a snapshot and restored, so that a
/// resumed run reads exactly the batches the uninterrupted run would have read.
/// </summary>
public interface IResumableData
{
    /// <summary>The index of the next record to deliver (counting from the first record, past the end as it wraps), and the seed of its crop/mirror stream.</summary>
    (long NextRecord, int TransformSeed) Position { get; }

    /// <summary>Goes on from a saved position: batches already read ahead are dropped.</summary>
    void Resume(long nextRecord, int transformSeed);
}
