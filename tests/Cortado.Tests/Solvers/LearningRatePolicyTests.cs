using Cortado.Errors;
using Cortado.Proto;
using Cortado.Solvers;

namespace Cortado.Tests.Solvers;

/// <summary>Each policy against numbers worked out by hand from Caffe's documented formulas.</summary>
public class LearningRatePolicyTests
{
    private static float Rate(string solver, int iter) => LearningRatePolicy.Rate(TextFormat.Parse<SolverParameter>(solver), iter);

    [Theory]
    [InlineData("lr_policy: 'fixed' base_lr: 0.01", 12345, 0.01)]
    [InlineData("lr_policy: 'step' base_lr: 0.01 gamma: 0.1 stepsize: 100", 99, 0.01)]
    [InlineData("lr_policy: 'step' base_lr: 0.01 gamma: 0.1 stepsize: 100", 250, 0.0001)]     // 0.01 * 0.1^2
    [InlineData("lr_policy: 'exp' base_lr: 0.01 gamma: 0.9", 10, 0.0034867844)]               // 0.01 * 0.9^10
    [InlineData("lr_policy: 'inv' base_lr: 0.01 gamma: 0.0001 power: 0.75", 10000, 0.0059460356)] // 0.01 * 2^-0.75
    [InlineData("lr_policy: 'multistep' base_lr: 1 gamma: 0.5 stepvalue: 10 stepvalue: 20", 9, 1.0)]
    [InlineData("lr_policy: 'multistep' base_lr: 1 gamma: 0.5 stepvalue: 10 stepvalue: 20", 10, 0.5)]
    [InlineData("lr_policy: 'multistep' base_lr: 1 gamma: 0.5 stepvalue: 10 stepvalue: 20", 25, 0.25)]
    [InlineData("lr_policy: 'poly' base_lr: 0.01 power: 0.5 max_iter: 3000000", 30000, 0.0099498744)]   // 1%: 0.01 sqrt(0.99)
    [InlineData("lr_policy: 'poly' base_lr: 0.01 power: 0.5 max_iter: 3000000", 2700000, 0.0031622777)] // 90%: 0.01 sqrt(0.1)
    [InlineData("lr_policy: 'poly' base_lr: 0.01 power: 2 max_iter: 100", 50, 0.0025)]
    [InlineData("lr_policy: 'sigmoid' base_lr: 0.01 gamma: -0.1 stepsize: 100", 100, 0.005)]
    [InlineData("lr_policy: 'sigmoid' base_lr: 0.01 gamma: -0.1 stepsize: 100", 120, 0.0011920292)]   // 0.01 / (1 + e^2)
    public void PolicyValues(string solver, int iter, double expected)
    {
        Assert.Equal(expected, Rate(solver, iter), 6);
    }

    [Theory]
    [InlineData("lr_policy: 'step' gamma: 0.1", "needs a positive stepsize")]
    [InlineData("lr_policy: 'step' stepsize: 10", "needs gamma")]
    [InlineData("lr_policy: 'poly' max_iter: 10", "needs power")]
    [InlineData("lr_policy: 'poly' power: 0.5", "needs a positive max_iter")]
    [InlineData("lr_policy: 'inv' gamma: 0.1", "needs power")]
    [InlineData("lr_policy: 'multistep' gamma: 0.1", "needs stepvalue entries")]
    [InlineData("lr_policy: 'multistep' gamma: 0.1 stepvalue: 20 stepvalue: 10", "stepvalue must increase")]
    [InlineData("lr_policy: 'sigmoid' gamma: 0.1", "needs stepsize")]
    [InlineData("lr_policy: 'cosine'", "unknown lr_policy \"cosine\"; known: fixed, step, exp, inv, multistep, poly, sigmoid")]
    [InlineData("base_lr: 0.1", "gives no lr_policy")]
    public void MissingFieldsAreNamedBeforeTraining(string solver, string expected)
    {
        var e = Assert.Throws<CortadoException>(() => LearningRatePolicy.Validate(TextFormat.Parse<SolverParameter>(solver)));
        Assert.Contains(expected, e.Message);
    }
}
