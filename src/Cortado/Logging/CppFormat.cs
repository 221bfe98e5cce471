using System.Globalization;

namespace Cortado.Logging;

/// <summary>
/// Numbers as a C++ ostream prints them by default (printf's %g with 6 significant digits:
/// 2.30259, 0.0005, 1e-05, 3e+06), so Caffe-style log lines match Caffe's byte for byte.
/// </summary>
public static class CppFormat
{
    public static string G(double value, int precision = 6)
    {
        if (double.IsNaN(value)) return "nan";
        if (double.IsInfinity(value)) return value > 0 ? "inf" : "-inf";
        if (value == 0) return double.IsNegative(value) ? "-0" : "0";
        int exponent = (int)Math.Floor(Math.Log10(Math.Abs(value)));
        // Rounding to `precision` digits can carry into the next power of ten (9.999995 -> 10).
        double rounded = double.Parse(value.ToString("E" + (precision - 1), CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);
        exponent = (int)Math.Floor(Math.Log10(Math.Abs(rounded)));
        if (exponent < -4 || exponent >= precision)
        {
            string mantissa = TrimFraction((rounded / Math.Pow(10, exponent)).ToString("F" + (precision - 1), CultureInfo.InvariantCulture));
            return $"{mantissa}e{(exponent < 0 ? "-" : "+")}{Math.Abs(exponent):00}";
        }
        return TrimFraction(rounded.ToString("F" + Math.Max(0, precision - 1 - exponent), CultureInfo.InvariantCulture));
    }

    // %g drops trailing zeros of the fraction, and the point when nothing follows it.
    private static string TrimFraction(string text) => text.Contains('.') ? text.TrimEnd('0').TrimEnd('.') : text;
}
