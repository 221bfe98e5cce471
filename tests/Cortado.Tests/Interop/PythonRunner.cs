using System.Diagnostics;

namespace Cortado.Tests.Interop;

/// <summary>Runs a short script in Debian's Python (where .ci/run installs python3-opencv, python3-h5py, python3-torch and python3-plyvel).</summary>
internal static class PythonRunner
{
    public static string Run(string script, params string[] arguments)
    {
        string python = File.Exists("/usr/bin/python3") ? "/usr/bin/python3" : "python3";
        var start = new ProcessStartInfo(python) { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(script);
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        using var process = Process.Start(start)!;
        string stdout = process.StandardOutput.ReadToEnd(), stderr = process.StandardError.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0,
            $"{python} failed (exit {process.ExitCode}); the interop tests need Debian's python3-opencv, python3-h5py, python3-torch and python3-plyvel (apt-get install, as .ci/run does).\n{stdout}\n{stderr}");
        return stdout;
    }
}
