namespace Cortado.Compute;

/// <summary>
/// A fixed team of worker threads for the compute kernels. A net calls them dozens of times
/// per pass, often for tens of microseconds of work, so workers spin briefly after each job
/// (waking a blocked thread costs about as much as a small job) and only then sleep. The caller
/// runs part 0 itself. One job at a time: a second caller that finds the team busy runs its
/// parts inline, which gives the same results because parts never depend on who runs them.
/// </summary>
internal sealed class ThreadTeam
{
    /// <summary>How long an idle worker spins before it sleeps.</summary>
    private static readonly long SpinTicks = System.Diagnostics.Stopwatch.Frequency / 5000; // 0.2 ms

    public static ThreadTeam Shared { get; } = new();

    private int _running;   // 1 while a job is out; not a Monitor, which would let its own thread re-enter
    private readonly List<Worker> _workers = [];
    private Action<int>? _job;
    private int _parts;
    private int _remaining;
    private Exception? _failure;

    private sealed class Worker
    {
        public int Generation;      // jobs published to this worker
        public int Sleeping;        // 1 while blocked on Wake
        public readonly SemaphoreSlim Wake = new(0);
    }

    /// <summary>Runs body(part) for part in [0, parts), in parallel where the team is free.</summary>
    public void Run(int parts, Action<int> body)
    {
        if (parts <= 1 || Interlocked.CompareExchange(ref _running, 1, 0) != 0)
        {
            for (int part = 0; part < parts; part++) body(part);
            return;
        }
        try
        {
            EnsureWorkers(parts - 1);
            _job = body;
            _parts = parts;
            _failure = null;
            Volatile.Write(ref _remaining, parts - 1);
            for (int i = 0; i < parts - 1; i++)
            {
                var worker = _workers[i];
                Interlocked.Increment(ref worker.Generation);
                if (Interlocked.Exchange(ref worker.Sleeping, 0) == 1) worker.Wake.Release();
            }
            try { body(0); }
            catch (Exception e) { _failure ??= e; }
            // Parts are short and even, so the wait is short: spin, yielding only rarely.
            for (int spins = 1; Volatile.Read(ref _remaining) > 0; spins++)
            {
                if (spins % 1024 == 0) Thread.Yield();
                else Thread.SpinWait(10);
            }
            _job = null;
            if (_failure is { } failure) System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(failure);
        }
        finally { Volatile.Write(ref _running, 0); }
    }

    private void EnsureWorkers(int count)
    {
        while (_workers.Count < count)
        {
            var worker = new Worker();
            int index = _workers.Count;
            _workers.Add(worker);
            new Thread(() => Loop(worker, index + 1)) { IsBackground = true, Name = $"cortado compute {index + 1}" }.Start();
        }
    }

    private void Loop(Worker worker, int part)
    {
        int seen = 0;
        while (true)
        {
            long idleSince = System.Diagnostics.Stopwatch.GetTimestamp();
            while (Volatile.Read(ref worker.Generation) == seen)
            {
                // Pure spinning (no yield: a system call per spin costs more than it frees); the
                // scheduler still preempts it for other runnable threads such as the data reader.
                if (System.Diagnostics.Stopwatch.GetTimestamp() - idleSince < SpinTicks) { Thread.SpinWait(20); continue; }
                // Announce the sleep, then check once more: a job published in between either
                // sees the flag (and releases us) or is seen here.
                Interlocked.Exchange(ref worker.Sleeping, 1);
                if (Volatile.Read(ref worker.Generation) != seen)
                {
                    if (Interlocked.Exchange(ref worker.Sleeping, 0) == 0) worker.Wake.Wait(); // the publisher took the flag and released
                    break;
                }
                worker.Wake.Wait();
                idleSince = System.Diagnostics.Stopwatch.GetTimestamp();
            }
            seen = Volatile.Read(ref worker.Generation);
            if (part < _parts)
            {
                try { _job!(part); }
                catch (Exception e) { Interlocked.CompareExchange(ref _failure, e, null); }
            }
            Interlocked.Decrement(ref _remaining);
        }
    }
}
