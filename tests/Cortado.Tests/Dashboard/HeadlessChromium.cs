using PuppeteerSharp;

namespace Cortado.Tests.Dashboard;

/// <summary>
/// Debian's Chromium, headless, driven over the DevTools protocol by PuppeteerSharp: pages are
/// loaded and their DOM read after the scripts ran. The flags keep it off this machine's closed
/// network; the browser is never downloaded.
/// </summary>
internal sealed class HeadlessChromium : IAsyncDisposable
{
    public const string Executable = "/usr/bin/chromium";
    private readonly IBrowser _browser;
    private readonly string _profile;

    private HeadlessChromium(IBrowser browser, string profile) => (_browser, _profile) = (browser, profile);

    public static async Task<HeadlessChromium> Launch()
    {
        if (!File.Exists(Executable))
            Assert.Fail($"{Executable} is missing: install Debian's chromium (sudo apt-get install chromium); .ci/run does");
        string profile = Directory.CreateTempSubdirectory("cortado-chromium-").FullName;
        var browser = await Puppeteer.LaunchAsync(new LaunchOptions
        {
            ExecutablePath = Executable,
            Headless = true,
            UserDataDir = profile,
            Args =
            [
                "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
            ],
            Timeout = 60_000,
        });
        return new HeadlessChromium(browser, profile);
    }

    public async Task<IPage> Open(Uri url, int width = 1400, int height = 1600)
    {
        var page = await _browser.NewPageAsync();
        // What the page's scripts complained of, for the failure message.
        page.Console += (_, e) => { if (e.Message.Type is ConsoleType.Error or ConsoleType.Warning) Complaints.Add(e.Message.Text); };
        page.PageError += (_, e) => Complaints.Add(e.Message);
        await page.SetViewportAsync(new ViewPortOptions { Width = width, Height = height });
        await page.GoToAsync(url.ToString(), WaitUntilNavigation.DOMContentLoaded);
        return page;
    }

    /// <summary>Waits until the script, run in the page, returns true; fails with what it last returned.</summary>
    private static readonly System.Collections.Concurrent.ConcurrentBag<string> Complaints = [];

    public static async Task WaitFor(IPage page, string condition, TimeSpan timeout)
    {
        try { await page.WaitForExpressionAsync(condition, new WaitForFunctionOptions { Timeout = (int)timeout.TotalMilliseconds, PollingInterval = 100 }); }
        catch (WaitTaskTimeoutException)
        {
            string body = await page.EvaluateExpressionAsync<string>("document.body.innerText + '\\nstream: ' + (window.dashboardJournal || []).join(', ')");
            Assert.Fail($"the page never satisfied `{condition}` in {timeout.TotalSeconds} s; it showed:\n{body}\nits scripts said:\n{string.Join('\n', Complaints)}");
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _browser.CloseAsync();
        await _browser.DisposeAsync();
        try { Directory.Delete(_profile, recursive: true); } catch (IOException) { }
    }
}
