using System.Buffers.Binary;
using Cortado.Onnx.Proto;

namespace Cortado.Onnx;

/// <summary>Reads the values of an ONNX constant tensor from whichever field holds them (raw little-endian bytes or the typed list).</summary>
internal static class OnnxTensors
{
    public static float[] Floats(TensorProto tensor, string where)
    {
        long count = Count(tensor);
        switch ((TensorProto.Types.DataType)tensor.DataType)
        {
            case TensorProto.Types.DataType.Float:
                if (tensor.HasRawData)
                {
                    var raw = tensor.RawData.Span;
                    Check(raw.Length == count * 4, where, tensor, $"{raw.Length} bytes of raw data for {count} floats");
                    var values = new float[count];
                    for (int i = 0; i < count; i++) values[i] = BinaryPrimitives.ReadSingleLittleEndian(raw[(i * 4)..]);
                    return values;
                }
                Check(tensor.FloatData.Count == count, where, tensor, $"{tensor.FloatData.Count} floats for {count} elements");
                return [.. tensor.FloatData];
            case TensorProto.Types.DataType.Double:
                if (tensor.HasRawData)
                {
                    var raw = tensor.RawData.Span;
                    Check(raw.Length == count * 8, where, tensor, $"{raw.Length} bytes of raw data for {count} doubles");
                    var values = new float[count];
                    for (int i = 0; i < count; i++) values[i] = (float)BinaryPrimitives.ReadDoubleLittleEndian(raw[(i * 8)..]);
                    return values;
                }
                return [.. tensor.DoubleData.Select(d => (float)d)];
            default:
                throw new OnnxImportException(where, $"tensor '{tensor.Name}' holds {(TensorProto.Types.DataType)tensor.DataType} values; expected FLOAT");
        }
    }

    public static long[] Int64s(TensorProto tensor, string where)
    {
        long count = Count(tensor);
        switch ((TensorProto.Types.DataType)tensor.DataType)
        {
            case TensorProto.Types.DataType.Int64:
                if (!tensor.HasRawData) return [.. tensor.Int64Data];
                var raw = tensor.RawData.Span;
                Check(raw.Length == count * 8, where, tensor, $"{raw.Length} bytes of raw data for {count} int64s");
                var values = new long[count];
                for (int i = 0; i < count; i++) values[i] = BinaryPrimitives.ReadInt64LittleEndian(raw[(i * 8)..]);
                return values;
            case TensorProto.Types.DataType.Int32:
                if (!tensor.HasRawData) return [.. tensor.Int32Data.Select(v => (long)v)];
                var raw32 = tensor.RawData.Span;
                Check(raw32.Length == count * 4, where, tensor, $"{raw32.Length} bytes of raw data for {count} int32s");
                var widened = new long[count];
                for (int i = 0; i < count; i++) widened[i] = BinaryPrimitives.ReadInt32LittleEndian(raw32[(i * 4)..]);
                return widened;
            default:
                throw new OnnxImportException(where, $"tensor '{tensor.Name}' holds {(TensorProto.Types.DataType)tensor.DataType} values; expected INT64");
        }
    }

    public static long Count(TensorProto tensor)
    {
        if (tensor.DataLocation == TensorProto.Types.DataLocation.External)
            throw new OnnxImportException(tensor.Name, "its data is in an external file; save the model with its weights inside (onnx.save(model, path, save_as_external_data=False))");
        long count = 1;
        foreach (long d in tensor.Dims)
        {
            if (d < 0 || d > int.MaxValue) throw new OnnxImportException(tensor.Name, $"dimension {d} is out of range");
            count *= d;
            if (count > int.MaxValue) throw new OnnxImportException(tensor.Name, "has more than 2^31 elements");
        }
        return count;
    }

    private static void Check(bool ok, string where, TensorProto tensor, string problem)
    {
        if (!ok) throw new OnnxImportException(where, $"tensor '{tensor.Name}' is truncated or malformed: {problem}");
    }
}
