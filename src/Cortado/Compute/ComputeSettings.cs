namespace Cortado.Compute;

/// <summary>
/// How many threads the kernels may use. Defaults to the machine's processor count, or to
/// the CORTADO_THREADS environment variable when set. Results do not depend on it: every
/// kernel splits work so that each output element is computed the same way on any count.
/// </summary>
public static class ComputeSettings
{
    private static int _threads = DefaultThreads();

    public static int Threads
    {
        get => _threads;
        set => _threads = value >= 1 ? value : throw new ArgumentOutOfRangeException(nameof(value), value, "at least one thread is needed");
    }

    private static int DefaultThreads() =>
        int.TryParse(Environment.GetEnvironmentVariable("CORTADO_THREADS"), out int n) && n >= 1 ? n : Environment.ProcessorCount;
}
