namespace Cortado.Compute;

/// <summary>
/// The copies between a backend with memory of its own and the host, counted: what the memory
/// contract's tests read (a training iteration moves the batch in and the loss out, nothing else).
/// </summary>
public sealed class CopyCounter
{
    private long _toDevice, _toHost;

    /// <summary>Host-to-device copies made (one per buffer copied).</summary>
    public long ToDevice => Interlocked.Read(ref _toDevice);
    public long ToHost => Interlocked.Read(ref _toHost);

    /// <summary>Called for every copy with its direction (true: to the device) and length, so a test can say which blobs moved.</summary>
    public event Action<bool, int>? Copied;

    public void Reset()
    {
        Interlocked.Exchange(ref _toDevice, 0);
        Interlocked.Exchange(ref _toHost, 0);
    }

    /// <summary>Called by the backend for each copy it makes.</summary>
    public void Count(bool toDevice, int length)
    {
        if (toDevice) Interlocked.Increment(ref _toDevice);
        else Interlocked.Increment(ref _toHost);
        Copied?.Invoke(toDevice, length);
    }
}

/// <summary>A backend that counts its copies (the test device, the GPU backend).</summary>
public interface ICopyCounting
{
    CopyCounter Copies { get; }
}
