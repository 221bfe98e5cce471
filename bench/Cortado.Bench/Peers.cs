using System.Diagnostics;
using System.Text.Json;

namespace Cortado.Bench;

/// <summary>Runs the Python peers (PyTorch, OpenCV) in bench/peers and reads their one-line JSON answers.</summary>
internal static class Peers
{
    public const string Python = "/usr/bin/python3";

    public static string Script(string name) => Path.Combine(Repo.Root, "bench", "peers", name);

    public static JsonElement Run(string script, params object[] args)
    {
        var start = new ProcessStartInfo(Python) { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Script(script));
        foreach (var arg in args) start.ArgumentList.Add(Convert.ToString(arg, System.Globalization.CultureInfo.InvariantCulture)!);
        using var process = Process.Start(start)!;
        var error = process.StandardError.ReadToEndAsync();
        string output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"{script} {string.Join(' ', args)} failed ({process.ExitCode}): {error.Result}");
        return JsonDocument.Parse(output.Trim().Split('\n')[^1]).RootElement.Clone();
    }

    /// <summary>Whether a Python module imports (the benchmark's setup installs them from Debian).</summary>
    public static bool Has(string module)
    {
        try
        {
            using var process = Process.Start(new ProcessStartInfo(Python, ["-c", $"import {module}"]) { RedirectStandardError = true })!;
            process.StandardError.ReadToEnd();
            process.WaitForExit();
            return process.ExitCode == 0;
        }
        catch (System.ComponentModel.Win32Exception) { return false; }
    }
}

/// <summary>Where the repository is, found from the running benchmark.</summary>
internal static class Repo
{
    public static string Root { get; } = Find();

    private static string Find()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir != null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Cortado.slnx"))) return dir.FullName;
        throw new InvalidOperationException("cannot find the repository (Cortado.slnx) above " + AppContext.BaseDirectory);
    }
}
