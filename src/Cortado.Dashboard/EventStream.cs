using System.Text;
using Cortado.Monitoring;
using Microsoft.AspNetCore.Http;

namespace Cortado.Dashboard;

/// <summary>
/// Server-Sent Events to one page: "hello" first, then each run whole (its first event carries its
/// name; after a reconnect the page starts that run afresh), then what it gained since, at most every
/// <see cref="Period"/>, and a comment now and then so idle proxies keep the stream open. When the
/// server stops, "bye" tells the page not to reconnect (it keeps what it has); a reconnect that
/// arrives while it stops gets 503, which ends the browser's retries too.
/// </summary>
internal static class EventStream
{
    public static readonly TimeSpan Period = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan KeepAlive = TimeSpan.FromSeconds(15);

    public static async Task Serve(HttpContext context, RunCatalog catalog, ISet<int>? only, CancellationToken stopping)
    {
        var response = context.Response;
        response.ContentType = "text/event-stream";
        response.Headers.CacheControl = "no-cache";
        response.Headers["X-Accel-Buffering"] = "no";
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, stopping);
        var token = cancel.Token;
        var cursors = new List<RunCursor>();
        var idle = System.Diagnostics.Stopwatch.StartNew();
        try
        {
            await Write(response, "hello", "{}"u8.ToArray(), token);
            while (!token.IsCancellationRequested)
            {
                bool wrote = await SendNew(response, catalog, only, cursors, token);
                if (!wrote && idle.Elapsed > KeepAlive) { await response.WriteAsync(": keep-alive\n\n", token); await response.Body.FlushAsync(token); }
                if (wrote || idle.Elapsed > KeepAlive) idle.Restart();
                await Task.Delay(Period, token);
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested && !context.RequestAborted.IsCancellationRequested)
        {
            // The run's last moments (its end, its last points) still reach the page, then the goodbye.
            using var brief = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);
            brief.CancelAfter(TimeSpan.FromSeconds(2));
            try
            {
                await SendNew(response, catalog, only, cursors, brief.Token);
                await Write(response, "bye", "{}"u8.ToArray(), brief.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or IOException) { }
        }
        catch (OperationCanceledException) { } // the page left
        catch (IOException) { }
    }

    /// <summary>Writes each run's news since its cursor (the whole run the first time); true when anything was written.</summary>
    private static async Task<bool> SendNew(HttpResponse response, RunCatalog catalog, ISet<int>? only, List<RunCursor> cursors, CancellationToken token)
    {
        var runs = catalog.Snapshot();
        bool wrote = false;
        for (int id = 0; id < runs.Count; id++)
        {
            if (only != null && !only.Contains(id)) continue;
            while (cursors.Count <= id) cursors.Add(default);
            bool first = cursors[id] == default;
            var delta = runs[id].ReadSince(cursors[id]);
            if (!first && delta.IsEmpty) continue;
            cursors[id] = delta.Cursor;
            await Write(response, "run", RunJson.Delta(id, runs[id], delta, first), token);
            wrote = true;
        }
        return wrote;
    }

    private static async Task Write(HttpResponse response, string name, byte[] data, CancellationToken token)
    {
        await response.WriteAsync($"event: {name}\ndata: ", token);
        await response.Body.WriteAsync(data, token);
        await response.WriteAsync("\n\n", token);
        await response.Body.FlushAsync(token);
    }
}
