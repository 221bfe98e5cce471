using Cortado.Errors;
using Cortado.Proto;

namespace Cortado.Solvers;

/// <summary>
/// Caffe's learning-rate policies (iter counts from 0): fixed, step, exp, inv, multistep,
/// poly and sigmoid. <see cref="Validate"/> checks up front that the fields a policy needs are
/// given, so a run never starts with an lr of 0 or NaN for want of a stepsize.
/// </summary>
public static class LearningRatePolicy
{
    public static readonly string[] Policies = ["fixed", "step", "exp", "inv", "multistep", "poly", "sigmoid"];

    public static void Validate(SolverParameter p)
    {
        string policy = p.LrPolicy;
        void Need(bool present, string field, string why) { if (!present) throw new CortadoException($"lr_policy \"{policy}\" needs {field}: {why}"); }
        switch (policy)
        {
            case "fixed": break;
            case "step":
                Need(p.HasGamma, "gamma", "the rate is multiplied by gamma every stepsize iterations");
                Need(p.HasStepsize && p.Stepsize > 0, "a positive stepsize", "the number of iterations between drops");
                break;
            case "exp":
                Need(p.HasGamma, "gamma", "the rate is base_lr * gamma^iter");
                break;
            case "inv":
                Need(p.HasGamma, "gamma", "the rate is base_lr * (1 + gamma * iter)^-power");
                Need(p.HasPower, "power", "the rate is base_lr * (1 + gamma * iter)^-power");
                break;
            case "multistep":
                Need(p.HasGamma, "gamma", "the rate is multiplied by gamma at each stepvalue");
                Need(p.Stepvalue.Count > 0, "stepvalue entries", "the iterations at which the rate drops");
                for (int i = 1; i < p.Stepvalue.Count; i++)
                    if (p.Stepvalue[i] <= p.Stepvalue[i - 1]) throw new CortadoException($"lr_policy \"multistep\": stepvalue must increase, got {string.Join(", ", p.Stepvalue)}");
                break;
            case "poly":
                Need(p.HasPower, "power", "the rate is base_lr * (1 - iter/max_iter)^power");
                Need(p.MaxIter > 0, "a positive max_iter", "the rate falls to 0 at max_iter");
                break;
            case "sigmoid":
                Need(p.HasGamma, "gamma", "the rate is base_lr / (1 + exp(-gamma * (iter - stepsize)))");
                Need(p.HasStepsize, "stepsize", "the centre of the sigmoid");
                break;
            default:
                throw new CortadoException(p.HasLrPolicy
                    ? $"unknown lr_policy \"{policy}\"; known: {string.Join(", ", Policies)}"
                    : $"the solver gives no lr_policy; use one of {string.Join(", ", Policies)} (\"fixed\" keeps base_lr)");
        }
    }

    public static float Rate(SolverParameter p, int iter) => p.LrPolicy switch
    {
        "fixed" => p.BaseLr,
        "step" => p.BaseLr * MathF.Pow(p.Gamma, iter / p.Stepsize),
        "exp" => p.BaseLr * MathF.Pow(p.Gamma, iter),
        "inv" => p.BaseLr * MathF.Pow(1f + p.Gamma * iter, -p.Power),
        "multistep" => p.BaseLr * MathF.Pow(p.Gamma, CurrentStep(p, iter)),
        "poly" => p.BaseLr * MathF.Pow(1f - (float)iter / p.MaxIter, p.Power),
        "sigmoid" => p.BaseLr * (1f / (1f + MathF.Exp(-p.Gamma * (iter - p.Stepsize)))),
        _ => throw new CortadoException($"unknown lr_policy \"{p.LrPolicy}\"; known: {string.Join(", ", Policies)}"),
    };

    /// <summary>How many stepvalues the iteration has reached (Caffe's current_step for multistep).</summary>
    public static int CurrentStep(SolverParameter p, int iter) => p.Stepvalue.Count(v => iter >= v);
}
