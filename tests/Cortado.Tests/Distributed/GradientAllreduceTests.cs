using Cortado.Distributed;
using Cortado.Errors;
using Cortado.Logging;
using Cortado.Solvers;
using Cortado.Tests.Solvers;

namespace Cortado.Tests.Distributed;

/// <summary>
/// The solver's data-parallel path in one process, with a communicator that stands for N ranks
/// holding the same gradients: the averaged update equals one process's, every bucket is summed
/// once per iteration, and the weight check reports ranks that disagree.
/// </summary>
public class GradientAllreduceTests
{
    /// <summary>N ranks that all computed what this one did: a sum is N times the buffer.</summary>
    private sealed class IdenticalRanks(int size, bool weightsAgree = true) : ICommunicator
    {
        public int Rank => 0;
        public int Size => size;
        public int Sums { get; private set; }
        public void SumInPlace(Span<double> values) { foreach (ref double v in values) v *= size; }
        public IPendingSum StartSum(float[] pinned)
        {
            Sums++;
            for (int i = 0; i < pinned.Length; i++) pinned[i] *= size;
            return new Done();
        }
        public long Broadcast(long value) => value;
        public bool AllEqual(ulong value) => weightsAgree;
        public void Dispose() { }
        private sealed class Done : IPendingSum { public void Poll() { } public void Wait() { } }
    }

    private static Solver Create(ICommunicator communicator, int checkEvery = 0) =>
        SolverFactory.Create(SolverTestNets.Solver(SolverTestNets.Classifier, "base_lr: 0.05 momentum: 0.9 weight_decay: 0.0005 lr_policy: 'fixed' max_iter: 20 random_seed: 7"),
            new SolverOptions { Log = new CaffeLog(null), Communicator = communicator, CheckWeightsEvery = checkEvery });

    [Fact]
    public void AveragedGradientsOfIdenticalRanksTrainAsOneProcess()
    {
        using var single = Create(SingleProcess.Instance);
        // Four ranks: times 4 then a quarter is exact in binary, so the runs agree bit for bit.
        var ranks = new IdenticalRanks(4);
        using var parallel = Create(ranks);
        var expected = new List<float>();
        var actual = new List<float>();
        single.IterationDone += (_, loss, _, _) => expected.Add(loss);
        parallel.IterationDone += (_, loss, _, _) => actual.Add(loss);
        single.Step(10);
        parallel.Step(10);
        Assert.Equal(expected, actual);
        for (int i = 0; i < single.Net.LearnableParams.Count; i++)
            Assert.Equal(single.Net.LearnableParams[i].Data.ToArray(), parallel.Net.LearnableParams[i].Data.ToArray());
        // conv (weights, bias) and fc (weights, bias): one bucket per layer, each summed once an iteration.
        Assert.Equal(2 * 10, ranks.Sums);
    }

    [Fact]
    public void RanksWhoseWeightsDifferAreReported()
    {
        using var solver = Create(new IdenticalRanks(2, weightsAgree: false), checkEvery: 2);
        solver.Step(1);
        var error = Assert.Throws<CortadoException>(() => solver.Step(1));
        Assert.Contains("the ranks' weights differ after iteration 2", error.Message);
    }
}
