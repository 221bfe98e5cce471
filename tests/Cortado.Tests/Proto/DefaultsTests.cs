using Cortado.Proto;

namespace Cortado.Tests.Proto;

/// <summary>The defaults that surprise people, as Caffe's documentation states them (see shared/FACTS.md).</summary>
public class DefaultsTests
{
    [Fact]
    public void FillerDefaultsToConstantZero()
    {
        var filler = new FillerParameter();
        Assert.Equal("constant", filler.Type);
        Assert.Equal(0f, filler.Value);
        Assert.Equal(1f, filler.Std);
        Assert.Equal(-1, filler.Sparse);
        Assert.Equal(FillerParameter.Types.VarianceNorm.FanIn, filler.VarianceNorm);
    }

    [Fact]
    public void LayerDefaults()
    {
        Assert.Equal(1u, new PoolingParameter().Stride);
        Assert.Equal(PoolingParameter.Types.RoundMode.Ceil, new PoolingParameter().RoundMode);
        Assert.Equal(0.5f, new DropoutParameter().DropoutRatio);
        Assert.Equal(DataParameter.Types.DB.Leveldb, new DataParameter().Backend);
        Assert.Equal(4u, new DataParameter().Prefetch);
        Assert.Equal(1f, new TransformationParameter().Scale);
        Assert.Equal(LossParameter.Types.NormalizationMode.Valid, new LossParameter().Normalization);
        Assert.Equal(1e-5f, new BatchNormParameter().Eps);
        Assert.Equal(0.999f, new BatchNormParameter().MovingAverageFraction);
        Assert.True(new ConvolutionParameter().BiasTerm);
        Assert.Equal(1u, new ConvolutionParameter().Group);
        Assert.Equal(5u, new LRNParameter().LocalSize);
        Assert.Equal(0.75f, new LRNParameter().Beta);
        Assert.Equal(1f, new ParamSpec().LrMult);
        Assert.Equal(1f, new ParamSpec().DecayMult);
        Assert.Equal(Phase.Test, new NetState().Phase);
    }

    [Fact]
    public void SolverDefaults()
    {
        var s = new SolverParameter();
        Assert.True(s.TestInitialization);
        Assert.Equal(SolverParameter.Types.SolverMode.Gpu, s.SolverMode);
        Assert.Equal(1, s.AverageLoss);
        Assert.Equal(1, s.IterSize);
        Assert.Equal("L2", s.RegularizationType);
        Assert.Equal(-1f, s.ClipGradients);
        Assert.Equal(SolverParameter.Types.SnapshotFormat.Binaryproto, s.SnapshotFormat);
        Assert.True(s.SnapshotAfterTrain);
        Assert.Equal(-1, s.RandomSeed);
        Assert.Equal("SGD", s.Type);
        Assert.Equal(1e-8f, s.Delta);
        Assert.Equal(0.999f, s.Momentum2);
        Assert.Equal(0.99f, s.RmsDecay);
        Assert.False(s.HasLrPolicy);
    }
}
