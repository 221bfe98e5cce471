namespace Cortado.Diagnostics;

/// <summary>
/// Whether a run of losses is stuck at chance: near ln(classes), the loss of a net that gives every
/// class the same probability, and flat (not merely early). The probe and the live monitor share it.
/// </summary>
public static class ChanceTest
{
    /// <summary>How close to ln(classes) the mean must be.</summary>
    public const double Tolerance = 0.15;

    public sealed record Result(bool AtChance, double Chance, double Mean, double Spread, double Drop);

    /// <summary>The LOSS_AT_CHANCE finding, as the probe, the live monitor and a read log each raise it with their own evidence.</summary>
    public static Finding Finding(int classes, string evidence, string fix, string? cause = null) =>
        new(Severity.Error, "LOSS_AT_CHANCE", $"The loss is stuck at chance: ln({classes}) = {Logging.CppFormat.G(Math.Log(Math.Max(classes, 2)))}", evidence,
            $"A loss of ln({classes}) is what a net scores when it gives every class the same probability: its outputs no longer depend on the input.{(cause != null ? " " + cause : "")}",
            fix, Rank: 2);

    /// <summary>
    /// Judges the finite losses of <paramref name="recent"/>: at chance when the mean is within
    /// <see cref="Tolerance"/> of ln(classes) and the losses neither spread nor fall by 0.01.
    /// </summary>
    public static Result Judge(IReadOnlyList<float> recent, int classes)
    {
        double chance = Math.Log(Math.Max(classes, 2));
        var finite = recent.Where(float.IsFinite).ToList();
        if (finite.Count == 0) return new Result(false, chance, double.NaN, double.NaN, double.NaN);
        double mean = finite.Average();
        double spread = Math.Sqrt(finite.Average(l => (l - mean) * (l - mean)));
        int half = finite.Count / 2;
        double drop = half > 0 ? finite.Take(half).Average() - finite.Skip(half).Average() : 0;
        bool stuck = mean <= 80 && Math.Abs(mean - chance) < Tolerance && (spread < 0.01 || drop < 0.01);
        return new Result(stuck, chance, mean, spread, drop);
    }
}
