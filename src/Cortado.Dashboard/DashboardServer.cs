using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using Cortado.Errors;
using Cortado.Monitoring;
using Cortado.Visualization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Cortado.Dashboard;

/// <summary>
/// The training dashboard's web server: Kestrel with a minimal API on loopback (unless told
/// otherwise), serving the embedded page, the runs' data as JSON, live updates as Server-Sent
/// Events, each run's net drawn by Graphviz and the read-only files of its folder. It serves
/// nothing else: an unknown path or a file outside a run's folder is 404, a malformed id or query 400.
/// </summary>
public sealed class DashboardServer : IAsyncDisposable, IDisposable
{
    /// <summary>The port a plain --dashboard listens on.</summary>
    public const int DefaultPort = 5050;

    private readonly WebApplication _app;

    private DashboardServer(WebApplication app, RunCatalog catalog, Uri url)
    {
        _app = app;
        Catalog = catalog;
        Url = url;
    }

    public RunCatalog Catalog { get; }

    /// <summary>The page's address, with the port actually bound (port 0 picks a free one).</summary>
    public Uri Url { get; }

    /// <summary>True for a host other than loopback: anyone who can reach it sees the runs, with no password.</summary>
    public static bool IsExposed(string host) => !(host is "localhost" || (IPAddress.TryParse(host, out var ip) && IPAddress.IsLoopback(ip)));

    public static DashboardServer Start(RunCatalog catalog, string host = "127.0.0.1", int port = DefaultPort)
    {
        if (port is < 0 or > 65535) throw new CortadoException($"dashboard: the port must be 0..65535, got {port}");
        var address = host == "localhost" ? IPAddress.Loopback
            : IPAddress.TryParse(host, out var ip) ? ip
            : throw new CortadoException($"dashboard: the host must be an IP address or localhost, got '{host}'");

        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(address, port));
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(2));
        var app = builder.Build();
        // Each net is drawn once, on first request (dot takes a moment).
        var graphs = new ConcurrentDictionary<RunHistory, Lazy<string?>>();
        app.Use(async (context, next) =>
        {
            // The page loads only its own scripts and styles, and no other site may frame it.
            var headers = context.Response.Headers;
            headers.ContentSecurityPolicy = "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'";
            headers.XContentTypeOptions = "nosniff";
            await next(context);
        });
        var stopping = app.Lifetime.ApplicationStopping;

        app.MapGet("/", () => Asset("index.html"));
        app.MapGet("/assets/{name}", (string name) => Asset(name));
        app.MapGet("/api/runs", () => Results.Json(catalog.Snapshot().Select((r, id) => new
        {
            id, name = r.Name, state = r.State.ToString().ToLowerInvariant(), hasGraph = r.Net != null, hasFiles = r.Directory != null,
        })));
        app.MapGet("/api/runs/{id}", (string id) => WithRun(catalog, id, (n, run) => Results.Bytes(RunJson.Delta(n, run, run.ReadAll(), first: true), "application/json")));
        app.MapGet("/api/runs/{id}/series", (string id, HttpRequest request) => WithRun(catalog, id, (_, run) =>
        {
            if (!TryIteration(request.Query, "from", 0, out int from) || !TryIteration(request.Query, "to", int.MaxValue, out int to) || from > to)
                return Problem(400, "from and to must be iterations (whole numbers from 0), with from <= to");
            var points = run.ReadAll().Points.Where(p => p.Iteration >= from && p.Iteration <= to).ToList();
            return Results.Bytes(RunJson.Series(points), "application/json");
        }));
        app.MapGet("/api/runs/{id}/graph.svg", (string id) => WithRun(catalog, id, (_, run) =>
        {
            if (run.Net == null) return Problem(404, "this run's net is not known (its log names no net file that could be read)");
            string? svg = graphs.GetOrAdd(run, r => new Lazy<string?>(() => Draw(r))).Value;
            return svg == null ? Problem(404, "the net could not be drawn: Graphviz's dot is missing (apt-get install graphviz)") : Results.Text(svg, "image/svg+xml");
        }));
        app.MapGet("/api/runs/{id}/files", (string id) => WithRun(catalog, id, (_, run) =>
            run.Directory == null ? Problem(404, "this run has no folder")
                : Results.Json(RunFiles.List(run.Directory).Select(f => new { name = f.Name, bytes = f.Bytes }))));
        app.MapGet("/api/runs/{id}/files/{**path}", (string id, string? path) => WithRun(catalog, id, (_, run) =>
        {
            string? file = run.Directory == null ? null : RunFiles.Resolve(run.Directory, path ?? "");
            return file == null ? Problem(404, "no such file in the run's folder") : Results.File(file, WebAssets.ContentTypeOf(file));
        }));
        app.MapGet("/api/events", (HttpContext context) =>
        {
            HashSet<int>? only = null;
            if (context.Request.Query.TryGetValue("runs", out var list))
            {
                only = [];
                foreach (string part in list.ToString().Split(','))
                {
                    if (!int.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out int n))
                        return Problem(400, "runs must be a comma-separated list of run ids, e.g. runs=0,1");
                    only.Add(n);
                }
            }
            // A reconnect while the server stops gets 503, which ends the browser's retries.
            if (stopping.IsCancellationRequested) return Problem(503, "the dashboard is closing");
            return Results.Stream(_ => EventStream.Serve(context, catalog, only, stopping), "text/event-stream");
        });
        app.MapFallback(() => Problem(404, "not found"));

        try { app.StartAsync().GetAwaiter().GetResult(); }
        catch (IOException e)
        {
            throw new CortadoException($"dashboard: cannot listen on {host}:{port}: {e.Message} (give another port; 0 picks a free one)");
        }
        var bound = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
        string shown = address.Equals(IPAddress.Any) || address.Equals(IPAddress.IPv6Any) ? "127.0.0.1" : bound.Host;
        return new DashboardServer(app, catalog, new UriBuilder("http", shown, bound.Port, "/").Uri);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();

    private static IResult Asset(string name) =>
        WebAssets.TryGet(name, out string type, out byte[] bytes) ? Results.Bytes(bytes, type) : Problem(404, "not found");

    private static IResult Problem(int status, string message) => Results.Json(new { error = message }, statusCode: status);

    /// <summary>Runs <paramref name="serve"/> on the run the id names: 400 for an id that is not a number, 404 for one with no run.</summary>
    private static IResult WithRun(RunCatalog catalog, string id, Func<int, RunHistory, IResult> serve)
    {
        if (!int.TryParse(id, NumberStyles.None, CultureInfo.InvariantCulture, out int n))
            return Problem(400, $"a run id is a whole number, got '{Truncate(id)}'");
        return catalog.Find(n) is { } run ? serve(n, run) : Problem(404, $"no run {n}");
    }

    private static bool TryIteration(IQueryCollection query, string name, int fallback, out int value)
    {
        value = fallback;
        if (!query.TryGetValue(name, out var text)) return true;
        return int.TryParse(text.ToString(), NumberStyles.None, CultureInfo.InvariantCulture, out value);
    }

    private static string? Draw(RunHistory run)
    {
        try { return NetDiagram.ToSvg(NetDiagram.ToDot(run.Net!, "TB")); }
        catch (CortadoException) { return null; }
    }

    private static string Truncate(string text) => text.Length <= 40 ? text : text[..40] + "...";
}
