using System.Diagnostics;
using System.Text;
using Cortado.Errors;

namespace Cortado.Tests.Reliability;

/// <summary>How one mutated input ended.</summary>
public enum FuzzOutcome { Accepted, CleanError, InternalError, Hang }

/// <summary>
/// A seeded mutation fuzzer: takes valid inputs of one kind, mutates them (bit flips, extreme
/// numbers, truncation, deleted or duplicated lines, stray punctuation), runs each through the code
/// that reads that kind, and counts how each run ended. Accepted and clean errors (a
/// <see cref="CortadoException"/> or an I/O error naming its file) are fine; anything else, or a run
/// that does not end within the time limit, is a finding, kept with its input.
/// </summary>
public sealed class Fuzzer(int seed, TimeSpan perInput, string? journal = null)
{
    private static readonly string[] Numbers =
        ["0", "-1", "1", "2", "3.5", "65536", "2147483647", "2147483648", "-2147483649", "4294967296", "9223372036854775807", "1e40", "-1e40", "nan", "inf", "-inf", "1e-45"];

    private readonly Random _random = new(seed);

    public sealed record Finding(string Kind, FuzzOutcome Outcome, string Error, byte[] Input);

    public Dictionary<(string Kind, FuzzOutcome Outcome), int> Counts { get; } = [];
    public List<Finding> Findings { get; } = [];
    public int Runs { get; private set; }

    /// <summary>Mutates one of <paramref name="seeds"/> and runs it; text kinds are mutated as text.</summary>
    public void RunOne(string kind, IReadOnlyList<byte[]> seeds, bool text, Action<byte[]> run)
    {
        var input = seeds[_random.Next(seeds.Count)];
        int mutations = 1 + _random.Next(3);
        for (int m = 0; m < mutations; m++) input = text ? MutateText(input) : MutateBytes(input);
        // If the process dies (a signal from native code), the input that killed it is on disk.
        if (journal != null) File.WriteAllBytes($"{journal}.{kind}", input);
        var (outcome, error) = Execute(input, run);
        Runs++;
        Counts[(kind, outcome)] = Counts.GetValueOrDefault((kind, outcome)) + 1;
        if (outcome is FuzzOutcome.InternalError or FuzzOutcome.Hang)
        {
            Findings.Add(new Finding(kind, outcome, error, input));
            // A hung run keeps its thread: say so at once, with the input, rather than only at the end.
            if (journal != null) File.WriteAllBytes($"{journal}.finding{Findings.Count}.{kind}", input);
        }
    }

    private (FuzzOutcome, string) Execute(byte[] input, Action<byte[]> run)
    {
        Exception? failure = null;
        var thread = new Thread(() =>
        {
            try { run(input); }
            catch (Exception e) { failure = e; }
        }, 64 << 20) { IsBackground = true, Name = "fuzz" };
        thread.Start();
        if (!thread.Join(perInput)) return (FuzzOutcome.Hang, $"did not end within {perInput.TotalSeconds:0} s");
        return failure switch
        {
            null => (FuzzOutcome.Accepted, ""),
            CortadoException or IOException or UnauthorizedAccessException => (FuzzOutcome.CleanError, failure.Message),
            _ => (FuzzOutcome.InternalError, $"{failure.GetType().Name}: {failure.Message}\n{failure.StackTrace}"),
        };
    }

    private byte[] MutateBytes(byte[] input)
    {
        var bytes = new List<byte>(input);
        if (bytes.Count == 0) { bytes.Add((byte)_random.Next(256)); return [.. bytes]; }
        int at = _random.Next(bytes.Count);
        switch (_random.Next(6))
        {
            case 0: bytes[at] ^= (byte)(1 << _random.Next(8)); break;
            case 1: bytes[at] = new byte[] { 0x00, 0xFF, 0x7F, 0x80, 0x01 }[_random.Next(5)]; break;
            case 2: bytes.RemoveRange(at, bytes.Count - at); break;
            case 3: bytes.InsertRange(at, Enumerable.Range(0, 1 + _random.Next(8)).Select(_ => (byte)_random.Next(256))); break;
            case 4:
                // A varint of ten 0xFF bytes: the largest value a length or count can claim.
                for (int i = at; i < Math.Min(bytes.Count, at + 10); i++) bytes[i] = 0xFF;
                break;
            default: bytes.RemoveRange(at, Math.Min(1 + _random.Next(16), bytes.Count - at)); break;
        }
        return [.. bytes];
    }

    private byte[] MutateText(byte[] input)
    {
        string text = Encoding.UTF8.GetString(input);
        var lines = text.Split('\n').ToList();
        switch (_random.Next(7))
        {
            case 0 or 1:
            {
                var numbers = System.Text.RegularExpressions.Regex.Matches(text, @"-?\d+(\.\d+)?(e-?\d+)?");
                if (numbers.Count == 0) goto default;
                var match = numbers[_random.Next(numbers.Count)];
                text = text[..match.Index] + Numbers[_random.Next(Numbers.Length)] + text[(match.Index + match.Length)..];
                return Encoding.UTF8.GetBytes(text);
            }
            case 2: if (lines.Count > 1) lines.RemoveAt(_random.Next(lines.Count)); break;
            case 3: { int i = _random.Next(lines.Count); lines.Insert(i, lines[i]); break; }
            case 4:
            {
                int at = _random.Next(text.Length + 1);
                text = text[..at] + "{}:\"[],"[_random.Next(7)] + text[at..];
                return Encoding.UTF8.GetBytes(text);
            }
            case 5: { int a = _random.Next(lines.Count), b = _random.Next(lines.Count); (lines[a], lines[b]) = (lines[b], lines[a]); break; }
            default: return MutateBytes(input);
        }
        return Encoding.UTF8.GetBytes(string.Join('\n', lines));
    }

    public string Report()
    {
        var report = new StringBuilder($"{Runs} inputs, seed {seed}\n");
        foreach (var kind in Counts.Keys.Select(k => k.Kind).Distinct().Order())
            report.AppendLine($"  {kind,-12} " + string.Join(", ", Enum.GetValues<FuzzOutcome>().Select(o => $"{o}: {Counts.GetValueOrDefault((kind, o))}")));
        foreach (var finding in Findings.Take(10)) report.AppendLine($"  FINDING {finding.Kind} {finding.Outcome}: {finding.Error}");
        return report.ToString();
    }
}
