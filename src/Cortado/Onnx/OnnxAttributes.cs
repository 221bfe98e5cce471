using Cortado.Onnx.Proto;
using Google.Protobuf;

namespace Cortado.Onnx;

/// <summary>Typed attribute setters, so a node's attributes read as a list of named values.</summary>
internal static class OnnxAttributes
{
    public static NodeProto Int(this NodeProto node, string name, long value)
    {
        node.Attribute.Add(new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = value });
        return node;
    }

    public static NodeProto Float(this NodeProto node, string name, float value)
    {
        node.Attribute.Add(new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Float, F = value });
        return node;
    }

    public static NodeProto Ints(this NodeProto node, string name, params long[] values)
    {
        var attribute = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints };
        attribute.Ints.AddRange(values);
        node.Attribute.Add(attribute);
        return node;
    }

    public static NodeProto String(this NodeProto node, string name, string value)
    {
        node.Attribute.Add(new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.String, S = ByteString.CopyFromUtf8(value) });
        return node;
    }
}
