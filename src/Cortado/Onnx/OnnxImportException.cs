using Cortado.Errors;

namespace Cortado.Onnx;

/// <summary>An ONNX model, or one of its nodes, that Cortado cannot bring into a Caffe net: the message names the node (or tensor) and why.</summary>
public sealed class OnnxImportException(string where, string problem) : CortadoException($"{where}: {problem}")
{
    public string Where { get; } = where;
}
