using System.Globalization;
using System.Numerics;
using Cortado.Compute;
using Cortado.Layers;
using Cortado.Proto;
using Cortado.Tensors;

namespace CortadoExamples;

/// <summary>
/// A layer of your own, as Caffe's Python layers are written: LeCun's scaled tanh,
/// y = a tanh(b x), with a and b read from python_param's param_str ("a=1.7159 b=0.6667").
/// It computes through the backend's elementwise driver, so it runs wherever Cortado's own layers run.
/// Use it from a prototxt as type "ScaledTanh" (after --layers THIS.dll or LayerRegistry.Register),
/// or as type "Python" with python_param { module: "THIS.dll" layer: "CortadoExamples.ScaledTanhLayer" }.
/// </summary>
[LayerType("ScaledTanh")]
public sealed class ScaledTanhLayer(LayerParameter param, LayerContext context) : NeuronLayer(param, context)
{
    private float _a = 1.7159f, _b = 2f / 3f;

    public override string Type => "ScaledTanh";
    public override bool AllowsInPlace => false; // backward reads x

    protected override void LayerSetUp(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top)
    {
        foreach (var setting in (Param.PythonParam?.ParamStr ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            var parts = setting.Split('=');
            if (parts.Length != 2 || !float.TryParse(parts[1], CultureInfo.InvariantCulture, out float value) || parts[0] is not ("a" or "b"))
                throw Error($"param_str takes \"a=NUMBER b=NUMBER\", got '{setting}'");
            if (parts[0] == "a") _a = value; else _b = value;
        }
    }

    protected override void ForwardCpu(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top) =>
        Backend.Map(new ScaledTanh(_a, _b), ReadData(bottom[0]), WriteData(top[0]));

    protected override void BackwardCpu(IReadOnlyList<Blob> top, IReadOnlyList<bool> propagateDown, IReadOnlyList<Blob> bottom)
    {
        if (propagateDown[0]) Backend.Map(new ScaledTanhGradient(_a, _b), ReadData(bottom[0]), ReadDiff(top[0]), WriteDiff(bottom[0]));
    }

    private readonly struct ScaledTanh(float a, float b) : IUnaryOperator
    {
        public static bool Vectorized => false;
        public float Invoke(float x) => a * MathF.Tanh(b * x);
        public Vector<float> Invoke(Vector<float> x) => throw new NotSupportedException();
    }

    /// <summary>dx = dy a b (1 - tanh(b x)^2).</summary>
    private readonly struct ScaledTanhGradient(float a, float b) : IBinaryOperator
    {
        public static bool Vectorized => false;
        public float Invoke(float x, float dy)
        {
            float t = MathF.Tanh(b * x);
            return dy * a * b * (1f - t * t);
        }
        public Vector<float> Invoke(Vector<float> x, Vector<float> dy) => throw new NotSupportedException();
    }
}
