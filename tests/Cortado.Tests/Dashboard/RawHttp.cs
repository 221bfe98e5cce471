using System.Net.Sockets;
using System.Text;

namespace Cortado.Tests.Dashboard;

/// <summary>
/// HTTP requests written byte for byte on a socket: HttpClient tidies "..", "%2e" and the like
/// out of a URL before sending, and these tests need the server to see them as an attacker sends them.
/// </summary>
internal static class RawHttp
{
    public static async Task<(int Status, string Body)> Get(Uri server, string target)
    {
        using var client = new TcpClient();
        await client.ConnectAsync(server.Host, server.Port);
        await using var stream = client.GetStream();
        byte[] request = Encoding.Latin1.GetBytes($"GET {target} HTTP/1.1\r\nHost: {server.Authority}\r\nConnection: close\r\n\r\n");
        await stream.WriteAsync(request);
        using var reader = new StreamReader(stream, Encoding.UTF8);
        string response = await reader.ReadToEndAsync().WaitAsync(TimeSpan.FromSeconds(20));
        var status = response.Split(' ', 3);
        Assert.True(status.Length >= 2 && status[0].StartsWith("HTTP/1.1", StringComparison.Ordinal), $"not an HTTP response to {target}: {response}");
        int split = response.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        return (int.Parse(status[1]), split < 0 ? "" : response[(split + 4)..]);
    }
}
