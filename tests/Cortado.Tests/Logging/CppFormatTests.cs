using Cortado.Logging;

namespace Cortado.Tests.Logging;

/// <summary>Numbers as printf's %g prints them (what a C++ ostream shows by default), checked against values worked out from its rules.</summary>
public class CppFormatTests
{
    [Theory]
    [InlineData(0.0, "0")]
    [InlineData(2.302585093, "2.30259")]
    [InlineData(0.0005, "0.0005")]
    [InlineData(0.00001, "1e-05")]
    [InlineData(3000000.0, "3e+06")]
    [InlineData(123456.0, "123456")]
    [InlineData(1234567.0, "1.23457e+06")]
    [InlineData(0.00999993, "0.00999993")]
    [InlineData(87.33654475, "87.3365")]
    [InlineData(9.9999996, "10")]
    [InlineData(1.0, "1")]
    [InlineData(-2.5, "-2.5")]
    [InlineData(double.NaN, "nan")]
    [InlineData(double.PositiveInfinity, "inf")]
    public void PrintsLikePrintfG(double value, string expected) => Assert.Equal(expected, CppFormat.G(value));

    [Fact]
    public void NegativeZeroKeepsItsSign() => Assert.Equal("-0", CppFormat.G(-0.0));
}
