namespace Cortado.Gpu.Kernels;

/// <summary>Caffe's LSTMUnit, one thread per (stream, hidden cell): the CPU backend's formulas (LstmCell).</summary>
internal static class RecurrentKernels
{
    private static float Sigmoid(float x) => 1f / (1f + MathF.Exp(-x));

    public static void LstmForward(int hidden, Floats cPrev, Floats gates, Floats cont, Floats c, Floats h, int n)
    {
        for (int at = Lane.First; at < n; at += Lane.Step)
        {
            int stream = at / hidden, d = at - stream * hidden, row = stream * 4 * hidden;
            float keep = cont[stream];
            float i = Sigmoid(gates[row + d]), f = keep * Sigmoid(gates[row + hidden + d]), o = Sigmoid(gates[row + 2 * hidden + d]), g = MathF.Tanh(gates[row + 3 * hidden + d]);
            float cell = f * cPrev[at] + i * g;
            c[at] = cell;
            h[at] = o * MathF.Tanh(cell);
        }
    }

    /// <summary>hasDc / hasDh say whether those gradients exist (an absent one is zero); dcPrev may be dc.</summary>
    public static void LstmBackward(int hidden, Floats cPrev, Floats gates, Floats cont, Floats c, Floats dc, int hasDc, Floats dh, int hasDh,
        Floats dcPrev, Floats dgates, int n)
    {
        for (int at = Lane.First; at < n; at += Lane.Step)
        {
            int stream = at / hidden, d = at - stream * hidden, row = stream * 4 * hidden;
            float keep = cont[stream];
            float i = Sigmoid(gates[row + d]), s = Sigmoid(gates[row + hidden + d]), o = Sigmoid(gates[row + 2 * hidden + d]), g = MathF.Tanh(gates[row + 3 * hidden + d]);
            float tanhC = MathF.Tanh(c[at]);
            float dH = hasDh != 0 ? dh[at] : 0f;
            float dCell = (hasDc != 0 ? dc[at] : 0f) + dH * o * (1f - tanhC * tanhC);
            dgates[row + d] = dCell * g * i * (1f - i);
            dgates[row + hidden + d] = dCell * cPrev[at] * keep * s * (1f - s);
            dgates[row + 2 * hidden + d] = dH * tanhC * o * (1f - o);
            dgates[row + 3 * hidden + d] = dCell * i * (1f - g * g);
            dcPrev[at] = dCell * keep * s;
        }
    }
}
