using Cortado.Errors;
using Cortado.Proto;

namespace Cortado.Tests.Proto;

public class TextFormatErrorTests
{
    private static PrototxtException Fails<T>(string text) where T : Google.Protobuf.IMessage<T>, new() =>
        Assert.Throws<PrototxtException>(() => TextFormat.Parse<T>(text, "net.prototxt"));

    [Fact]
    public void MissingBraceAfterMessageFieldNamesPositionAndExpectation()
    {
        var e = Fails<LayerParameter>("name: \"c\"\nconvolution_param num_output: 3 }");
        Assert.Equal("net.prototxt:2:19: expected ':' or '{' after field name 'convolution_param', found 'num_output'", e.Message);
        Assert.Equal(2, e.Line);
        Assert.Equal(19, e.Column);
    }

    [Fact]
    public void UnknownFieldNamesTheMessageAndSuggestsTheNearestName()
    {
        var e = Fails<NetParameter>("layer {\n  convolution_param {\n    kernal_size: 3\n  }\n}");
        Assert.Equal("net.prototxt:3:5: unknown field 'kernal_size' in ConvolutionParameter; did you mean 'kernel_size'?", e.Message);
    }

    [Fact]
    public void UnknownFieldFarFromAnyNameHasNoSuggestion()
    {
        var e = Fails<SolverParameter>("completely_unrelated: 1");
        Assert.Equal("net.prototxt:1:1: unknown field 'completely_unrelated' in SolverParameter", e.Message);
    }

    [Fact]
    public void BadEnumValueListsTheAllowedNames()
    {
        var e = Fails<LayerParameter>("pooling_param { pool: MAXX }");
        Assert.Equal("net.prototxt:1:23: value 'MAXX' is not a PoolingParameter.PoolMethod; expected MAX, AVE or STOCHASTIC", e.Message);
    }

    [Fact]
    public void SingularFieldGivenTwiceIsAnError()
    {
        var e = Fails<SolverParameter>("base_lr: 0.1\nbase_lr: 0.2");
        Assert.Contains("net.prototxt:2:1: field 'base_lr' of SolverParameter is given more than once", e.Message);
    }

    [Theory]
    [InlineData("max_iter: 1.5", "expected an integer for 'max_iter'")]
    [InlineData("max_iter: 99999999999", "out of range for int32")]
    [InlineData("snapshot_format: 7", "value '7' is not a SolverParameter.SnapshotFormat; expected HDF5 or BINARYPROTO")]
    [InlineData("base_lr: \"x\"", "expected a number for 'base_lr'")]
    [InlineData("net: 3", "expected a quoted string for 'net'")]
    [InlineData("test_initialization: yes", "expected true or false")]
    [InlineData("base_lr 0.1", "expected ':' after field name 'base_lr'")]
    [InlineData("net: \"open", "string is not closed")]
    [InlineData("train_state { phase: TRAIN", "expected '}' to close NetState before the end of the file")]
    [InlineData("}", "expected a field name of SolverParameter, found '}'")]
    [InlineData("test_iter: [1, 2", "expected ',' or ']'")]
    public void SolverMistakesAreNamed(string text, string expected)
    {
        var e = Fails<SolverParameter>(text);
        Assert.StartsWith("net.prototxt:1:", e.Message);
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void UnsignedFieldRejectsNegativeValue()
    {
        var e = Fails<LayerParameter>("convolution_param { num_output: -3 }");
        Assert.Contains("out of range for uint32", e.Message);
    }
}
