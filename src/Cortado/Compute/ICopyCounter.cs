namespace Cortado.Compute;

/// <summary>
/// A backend with memory of its own that counts the copies between it and the host: what the
/// memory contract's tests read (a training iteration moves the batch in and the loss out, nothing else).
/// </summary>
public interface ICopyCounter
{
    /// <summary>Host-to-device copies made (one per buffer copied).</summary>
    long CopiesToDevice { get; }
    long CopiesToHost { get; }
    void ResetCounts();

    /// <summary>Called for every copy with its direction (true: to the device) and length, so a test can say which blobs moved.</summary>
    event Action<bool, int>? Copied;
}
