using Cortado.Proto;
using Google.Protobuf;

namespace Cortado.Tests.Proto;

/// <summary>
/// Field numbers checked against bytes encoded by hand from the protobuf wire format
/// (tag = field_number &lt;&lt; 3 | wire_type), independent of the generated code.
/// </summary>
public class WireFormatTests
{
    [Fact]
    public void DatumFieldsHaveCaffesNumbers()
    {
        var datum = new Datum { Channels = 1, Height = 2, Width = 3, Data = ByteString.CopyFrom(7, 8), Label = 5, Encoded = true };
        datum.FloatData.Add(1f);
        byte[] expected =
        [
            0x08, 1, 0x10, 2, 0x18, 3,          // channels=1, height=2, width=3 (varint)
            0x22, 2, 7, 8,                       // data=4 (bytes)
            0x28, 5,                             // label=5
            0x35, 0x00, 0x00, 0x80, 0x3f,        // float_data=6, unpacked fixed32 (proto2 default)
            0x38, 1,                             // encoded=7
        ];
        Assert.Equal(expected, datum.ToByteArray());
        Assert.Equal(datum, Datum.Parser.ParseFrom(expected));
    }

    [Fact]
    public void BlobProtoUsesPackedDataAndShapeField7()
    {
        var blob = new BlobProto { Shape = new BlobShape { Dim = { 2, 3 } }, Num = 4 };
        blob.Data.Add(1f);
        byte[] expected =
        [
            0x08, 4,                             // num=1
            0x2a, 4, 0x00, 0x00, 0x80, 0x3f,     // data=5 packed
            0x3a, 4, 0x0a, 2, 2, 3,              // shape=7 { dim=1 packed [2,3] }
        ];
        Assert.Equal(expected, blob.ToByteArray());
    }

    [Fact]
    public void NetParameterLayersAreField100AndOldLayersField2()
    {
        var net = new NetParameter { Name = "n" };
        net.Layer.Add(new LayerParameter { Name = "a" });
        byte[] expected = [0x0a, 1, (byte)'n', 0xa2, 0x06, 3, 0x0a, 1, (byte)'a'];
        Assert.Equal(expected, net.ToByteArray());

        var old = new NetParameter();
        old.Layers.Add(new V1LayerParameter { Name = "b", Type = V1LayerParameter.Types.LayerType.Convolution });
        Assert.Equal([0x12, 5, 0x22, 1, (byte)'b', 0x28, 4], old.ToByteArray());
    }

    [Fact]
    public void LayerBlobsAreField7AndSolverStateFieldsMatch()
    {
        var layer = new LayerParameter();
        layer.Blobs.Add(new BlobProto { Num = 1 });
        Assert.Equal([0x3a, 2, 0x08, 1], layer.ToByteArray());

        var state = new SolverState { Iter = 3, LearnedNet = "m", CurrentStep = 2 };
        state.History.Add(new BlobProto());
        Assert.Equal([0x08, 3, 0x12, 1, (byte)'m', 0x1a, 0, 0x20, 2], state.ToByteArray());
    }

    [Fact]
    public void SolverFieldsUsedByTheSeedHaveCaffesNumbers()
    {
        var d = SolverParameter.Descriptor;
        var expected = new Dictionary<string, int>
        {
            ["net"] = 24, ["test_iter"] = 3, ["test_interval"] = 4, ["base_lr"] = 5, ["display"] = 6, ["max_iter"] = 7,
            ["lr_policy"] = 8, ["gamma"] = 9, ["power"] = 10, ["momentum"] = 11, ["weight_decay"] = 12, ["stepsize"] = 13,
            ["snapshot"] = 14, ["snapshot_prefix"] = 15, ["solver_mode"] = 17, ["random_seed"] = 20, ["test_initialization"] = 32,
            ["average_loss"] = 33, ["stepvalue"] = 34, ["clip_gradients"] = 35, ["iter_size"] = 36, ["snapshot_format"] = 37,
            ["rms_decay"] = 38, ["momentum2"] = 39, ["type"] = 40, ["delta"] = 31, ["regularization_type"] = 29, ["solver_type"] = 30,
        };
        foreach (var (name, number) in expected) Assert.Equal(number, d.FindFieldByName(name).FieldNumber);
    }

    [Fact]
    public void LayerParameterMessagesHaveCaffesNumbers()
    {
        var d = LayerParameter.Descriptor;
        var expected = new Dictionary<string, int>
        {
            ["transform_param"] = 100, ["loss_param"] = 101, ["accuracy_param"] = 102, ["convolution_param"] = 106,
            ["data_param"] = 107, ["dropout_param"] = 108, ["inner_product_param"] = 117, ["lrn_param"] = 118,
            ["pooling_param"] = 121, ["relu_param"] = 123, ["softmax_param"] = 125, ["batch_norm_param"] = 139,
            ["scale_param"] = 142, ["input_param"] = 143, ["crop_param"] = 144, ["recurrent_param"] = 146,
            ["param"] = 6, ["blobs"] = 7, ["include"] = 8, ["exclude"] = 9, ["phase"] = 10, ["propagate_down"] = 11, ["loss_weight"] = 5,
        };
        foreach (var (name, number) in expected) Assert.Equal(number, d.FindFieldByName(name).FieldNumber);
    }
}
