using System.Net;
using System.Text.Json;
using Cortado.Dashboard;
using Cortado.Errors;
using Cortado.Monitoring;
using Cortado.Tests.Monitoring;

namespace Cortado.Tests.Dashboard;

public sealed class DashboardServerTests : IAsyncLifetime
{
    private readonly TempDir _dir = new();
    private readonly TempDir _outside = new();
    private DashboardServer _server = null!;
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(20) };

    public Task InitializeAsync()
    {
        File.WriteAllText(_dir.File("net.prototxt"), LogRunTests.ElevenClasses);
        File.WriteAllText(_dir.File("run.log"), LogRunTests.Log(_dir.File("net.prototxt"), Enumerable.Range(0, 8).Select(i => (i * 100, "1.5"))));
        File.WriteAllText(_outside.File("secret.txt"), "not for the page");
        File.CreateSymbolicLink(_dir.File("leak.txt"), _outside.File("secret.txt"));
        Directory.CreateSymbolicLink(_dir.File("up"), _outside.Path);
        var live = new RunHistory("live");
        for (int i = 0; i < 10; i++) live.AddPoint(new TrainPoint(i, 2 - i * 0.1f, 2 - i * 0.05f, 0.01f));
        live.AddPoint(new TrainPoint(10, float.NaN, float.NaN, 0.01f));
        _server = DashboardServer.Start(new RunCatalog([LogRun.Read(_dir.File("run.log")), live]), port: 0);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        _http.Dispose();
        _dir.Dispose();
        _outside.Dispose();
    }

    private async Task<JsonElement> Json(string path)
    {
        using var response = await _http.GetAsync(new Uri(_server.Url, path));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
    }

    [Fact]
    public async Task ListsTheRunsAndServesEachOnesCurvesAsColumns()
    {
        var runs = await Json("api/runs");
        Assert.Equal(["run", "live"], runs.EnumerateArray().Select(r => r.GetProperty("name").GetString()));
        Assert.Equal(["finished", "training"], runs.EnumerateArray().Select(r => r.GetProperty("state").GetString()));

        var run = await Json("api/runs/1");
        var loss = run.GetProperty("points").GetProperty("loss").EnumerateArray().ToList();
        Assert.Equal(11, loss.Count);
        Assert.Equal(1.1, loss[9].GetDouble(), 5);
        Assert.Equal(JsonValueKind.Null, loss[10].ValueKind); // NaN is a gap, not invalid JSON

        var series = await Json("api/runs/0/series?from=200&to=400");
        Assert.Equal([200, 300, 400], series.GetProperty("points").GetProperty("iteration").EnumerateArray().Select(e => e.GetInt32()));
    }

    [Fact]
    public async Task ServesThePageItsAssetsAndTheNetDrawn()
    {
        using var page = await _http.GetAsync(_server.Url);
        Assert.Equal("text/html; charset=utf-8", page.Content.Headers.ContentType!.ToString());
        Assert.Contains("default-src 'self'", page.Headers.GetValues("Content-Security-Policy").Single());
        string html = await page.Content.ReadAsStringAsync();
        Assert.Contains("assets/uPlot.iife.min.js", html);
        foreach (string asset in new[] { "uPlot.iife.min.js", "uPlot.min.css", "dashboard.js", "dashboard.css", "uPlot.LICENSE.txt" })
            Assert.Equal(HttpStatusCode.OK, (await _http.GetAsync(new Uri(_server.Url, "assets/" + asset))).StatusCode);
        Assert.Contains("MIT", await _http.GetStringAsync(new Uri(_server.Url, "assets/uPlot.LICENSE.txt")));

        string svg = await _http.GetStringAsync(new Uri(_server.Url, "api/runs/0/graph.svg"));
        Assert.Contains("<svg", svg);
        Assert.Contains("InnerProduct", svg);
        Assert.Equal(HttpStatusCode.NotFound, (await _http.GetAsync(new Uri(_server.Url, "api/runs/1/graph.svg"))).StatusCode); // no net known
    }

    [Fact]
    public async Task ServesTheRunFolderReadOnly()
    {
        var files = await Json("api/runs/0/files");
        Assert.Equal(["net.prototxt", "run.log"], files.EnumerateArray().Select(f => f.GetProperty("name").GetString())); // links are not listed
        Assert.Equal(File.ReadAllText(_dir.File("run.log")), await _http.GetStringAsync(new Uri(_server.Url, "api/runs/0/files/run.log")));
        using var post = await _http.PostAsync(new Uri(_server.Url, "api/runs/0/files/run.log"), new StringContent("x"));
        Assert.False(post.IsSuccessStatusCode);
        Assert.Equal(LogRunTests.Log(_dir.File("net.prototxt"), Enumerable.Range(0, 8).Select(i => (i * 100, "1.5"))), File.ReadAllText(_dir.File("run.log")));
    }

    [Theory]
    [InlineData("/api/runs/0/files/../../../../etc/passwd")]
    [InlineData("/api/runs/0/files/..%2F..%2F..%2F..%2Fetc%2Fpasswd")]
    [InlineData("/api/runs/0/files/%2e%2e/%2e%2e/%2e%2e/etc/passwd")]
    [InlineData("/api/runs/0/files/%2Fetc%2Fpasswd")]
    [InlineData("/api/runs/0/files//etc/passwd")]
    [InlineData("/api/runs/0/files/..%5C..%5Cetc%5Cpasswd")]
    [InlineData("/api/runs/0/files/leak.txt")]
    [InlineData("/api/runs/0/files/up/secret.txt")]
    [InlineData("/api/runs/1/files/run.log")]
    [InlineData("/assets/..%2F..%2Fappsettings.json")]
    [InlineData("/assets/../../../etc/passwd")]
    [InlineData("/assets/Cortado.Dashboard.dll")]
    [InlineData("/etc/passwd")]
    [InlineData("/api/runs/7")]
    public async Task APathOutsideTheRunFolderOrTheAssetsIsNotFound(string target)
    {
        var (status, body) = await RawHttp.Get(_server.Url, target);
        Assert.Equal(404, status);
        Assert.DoesNotContain("root:", body);
        Assert.DoesNotContain("not for the page", body);
    }

    [Theory]
    [InlineData("/api/runs/abc")]
    [InlineData("/api/runs/-1")]
    [InlineData("/api/runs/99999999999999999999")]
    [InlineData("/api/runs/0/series?from=abc")]
    [InlineData("/api/runs/0/series?from=-5")]
    [InlineData("/api/runs/0/series?from=10&to=5")]
    [InlineData("/api/runs/0/series?to=1e3")]
    [InlineData("/api/runs/%ZZ")]
    [InlineData("/api/runs/0/files/run.log%00.png")]
    [InlineData("/api/events?runs=0,x")]
    [InlineData("/api/events?runs=")]
    public async Task AMalformedIdOrQueryIsABadRequestAndTheServerGoesOn(string target)
    {
        var (status, body) = await RawHttp.Get(_server.Url, target);
        Assert.Equal(400, status);
        Assert.True(body.Length == 0 || body.Contains("error") || body.Contains("Bad Request"), body);
        Assert.Equal(HttpStatusCode.OK, (await _http.GetAsync(new Uri(_server.Url, "api/runs"))).StatusCode);
    }

    [Fact]
    public async Task GarbageOnTheSocketIsRefusedWithoutHarm()
    {
        using (var client = new System.Net.Sockets.TcpClient())
        {
            await client.ConnectAsync(_server.Url.Host, _server.Url.Port);
            var stream = client.GetStream();
            await stream.WriteAsync("\x16\x03\x01 not http at all\r\n\r\n"u8.ToArray());
            var buffer = new byte[256];
            int read = await stream.ReadAsync(buffer).AsTask().WaitAsync(TimeSpan.FromSeconds(10));
            Assert.StartsWith("HTTP/1.1 400", System.Text.Encoding.ASCII.GetString(buffer, 0, read));
        }
        Assert.Equal(HttpStatusCode.OK, (await _http.GetAsync(new Uri(_server.Url, "api/runs"))).StatusCode);
    }

    [Fact]
    public async Task TheEventStreamSaysHelloThenSendsEachRunAndThenWhatIsNew()
    {
        var live = _server.Catalog.Find(1)!;
        using var response = await _http.GetAsync(new Uri(_server.Url, "api/events?runs=1"), HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType!.MediaType);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        async Task<(string Event, string Data)> Next()
        {
            string name = "", data = "";
            for (string? line; (line = await reader.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(10))) != "";)
            {
                if (line!.StartsWith("event: ")) name = line[7..];
                else if (line.StartsWith("data: ")) data = line[6..];
            }
            return (name, data);
        }
        Assert.Equal("hello", (await Next()).Event);
        var first = await Next();
        Assert.Equal("run", first.Event);
        var whole = JsonDocument.Parse(first.Data).RootElement;
        Assert.Equal(("live", 1, 11), (whole.GetProperty("name").GetString(), whole.GetProperty("run").GetInt32(), whole.GetProperty("points").GetProperty("iteration").GetArrayLength()));

        live.AddPoint(new TrainPoint(11, 1, 1, 0.01f));
        live.Raise(new Cortado.Diagnostics.Finding(Cortado.Diagnostics.Severity.Error, "LOSS_NOT_FINITE", "nan", "e", "x"), 10);
        var next = JsonDocument.Parse((await Next()).Data).RootElement;
        Assert.Equal([11], next.GetProperty("points").GetProperty("iteration").EnumerateArray().Select(e => e.GetInt32()));
        Assert.Equal("LOSS_NOT_FINITE", next.GetProperty("findings")[0].GetProperty("code").GetString());
        Assert.False(next.TryGetProperty("name", out _)); // only what is new
    }

    [Fact]
    public async Task AServerThatStopsSendsTheRunsLastNewsThenSaysBye()
    {
        var run = new RunHistory("r");
        var server = DashboardServer.Start(new RunCatalog([run]), port: 0);
        using var response = await _http.GetAsync(new Uri(server.Url, "api/events"), HttpCompletionOption.ResponseHeadersRead);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        var events = new List<string>();
        var reading = Task.Run(async () =>
        {
            for (string? line; (line = await reader.ReadLineAsync()) != null;)
                if (line.StartsWith("event: ") || line.StartsWith("data: ")) lock (events) events.Add(line);
        });
        while (true) { lock (events) if (events.Count >= 4) break; await Task.Delay(50); }
        // The run ends just before the server stops, within one period of the stream: the page still hears of it.
        run.AddPoint(new TrainPoint(7, 1, 1, 0.1f));
        run.SetState(RunState.Finished);
        await server.DisposeAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(20));
        await reading.WaitAsync(TimeSpan.FromSeconds(20));
        Assert.Equal(["event: hello", "event: run", "event: run", "event: bye"], events.Where(e => e.StartsWith("event: ")));
        Assert.Contains("\"state\":\"finished\"", events[^3]);
        Assert.Contains("\"iteration\":[7]", events[^3]);
    }

    [Fact]
    public void LoopbackIsTheDefaultAndAnythingElseIsExposed()
    {
        Assert.Equal("127.0.0.1", _server.Url.Host);
        Assert.False(DashboardServer.IsExposed("127.0.0.1"));
        Assert.False(DashboardServer.IsExposed("localhost"));
        Assert.False(DashboardServer.IsExposed("::1"));
        Assert.True(DashboardServer.IsExposed("0.0.0.0"));
        Assert.True(DashboardServer.IsExposed("192.168.1.4"));
        Assert.Contains("must be an IP address", Assert.Throws<CortadoException>(() => DashboardServer.Start(new RunCatalog(), "example.com", 0)).Message);
        var busy = Assert.Throws<CortadoException>(() => DashboardServer.Start(new RunCatalog(), "127.0.0.1", _server.Url.Port));
        Assert.Contains($"cannot listen on 127.0.0.1:{_server.Url.Port}", busy.Message);
    }
}
