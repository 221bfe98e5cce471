using System.Text.Json;
using Cortado.Cli;
using Cortado.Data;
using Cortado.Nets;
using Cortado.Proto;
using Cortado.Tests.Interop;
using Cortado.Tests.Reliability;

namespace Cortado.Tests.Inference;

/// <summary>`cortado extract-features` writes what the net computes, read back by LMDB here and by h5py and numpy.</summary>
public class ExtractFeaturesTests
{
    private static string Net(string source) => $$"""
        name: "features"
        layer { name: "data" type: "Data" top: "data" top: "label" transform_param { scale: 0.00390625 } data_param { source: "{{source}}" batch_size: 7 backend: LMDB } }
        layer { name: "conv" type: "Convolution" bottom: "data" top: "conv" convolution_param { num_output: 2 kernel_size: 3 weight_filler { type: "xavier" } bias_filler { type: "constant" value: 0.1 } } }
        layer { name: "fc" type: "InnerProduct" bottom: "conv" top: "fc" inner_product_param { num_output: 3 weight_filler { type: "xavier" } } }
        """;

    /// <summary>The net, its weights, and what its blobs hold over three batches, computed in this process.</summary>
    private static (string Net, string Weights, List<float[]> Conv, List<float[]> Fc) Setup(TempDir dir)
    {
        File.WriteAllText(dir.File("net.prototxt"), Net(ResumeAndStopTests.Database(dir)));
        var conv = new List<float[]>();
        var fc = new List<float[]>();
        using var net = new Net(ProtoFiles.ReadNetText(dir.File("net.prototxt")), Phase.Test, new NetOptions { Random = new Cortado.Layers.CaffeRandom(5) });
        ProtoFiles.WriteBinary(dir.File("w.caffemodel"), net.ToProto());
        for (int batch = 0; batch < 3; batch++)
        {
            net.Forward();
            for (int n = 0; n < 7; n++)
            {
                conv.Add(net.Blob("conv").Data.Slice(n * 32, 32).ToArray());
                fc.Add(net.Blob("fc").Data.Slice(n * 3, 3).ToArray());
            }
        }
        return (dir.File("net.prototxt"), dir.File("w.caffemodel"), conv, fc);
    }

    private static void Extract(params string[] args)
    {
        var error = new StringWriter();
        Assert.True(CommandLine.Run(["extract-features", .. args], new StringWriter(), error) == 0, error.ToString());
    }

    [Fact]
    public void LmdbFeaturesAreCaffesFloatDatumsInImageOrder()
    {
        using var dir = new TempDir();
        var (net, weights, conv, fc) = Setup(dir);
        Extract(weights, net, "conv,fc", $"{dir.File("conv_lmdb")},{dir.File("fc_lmdb")}", "3");
        foreach (var (db, expected, shape) in new[] { (dir.File("conv_lmdb"), conv, (2, 4, 4)), (dir.File("fc_lmdb"), fc, (3, 1, 1)) })
        {
            using var reader = new LmdbReader(db);
            Assert.Equal(21, reader.Count);
            for (int i = 0; i < 21; i++)
            {
                var (key, value) = reader.Next();
                var datum = Datum.Parser.ParseFrom(value);
                Assert.Equal(i.ToString("D10"), key);
                Assert.Equal(shape, (datum.Channels, datum.Height, datum.Width));
                Assert.Equal(expected[i], datum.FloatData.ToArray());
            }
        }
    }

    [Fact]
    public void Hdf5AndNpyFeaturesReadBackInH5pyAndNumpy()
    {
        using var dir = new TempDir();
        var (net, weights, conv, _) = Setup(dir);
        Extract(weights, net, "conv", dir.File("conv.h5"), "3", "hdf5");
        Extract(weights, net, "conv", dir.File("conv.npy"), "3", "npy");
        string read = PythonRunner.Run("""
            import sys, json, h5py, numpy as np
            with h5py.File(sys.argv[1], "r") as f: h = f["data"][()]
            n = np.load(sys.argv[2])
            print(json.dumps({"h5": list(h.shape), "npy": list(n.shape), "dtype": str(n.dtype), "h5_first": h.reshape(21, -1)[:, 0].tolist(), "npy_last": n.reshape(21, -1)[:, -1].tolist()}))
            """, dir.File("conv.h5"), dir.File("conv.npy"));
        using var result = JsonDocument.Parse(read.Trim().Split('\n')[^1]);
        var root = result.RootElement;
        Assert.Equal([21, 2, 4, 4], root.GetProperty("h5").EnumerateArray().Select(e => e.GetInt32()));
        Assert.Equal([21, 2, 4, 4], root.GetProperty("npy").EnumerateArray().Select(e => e.GetInt32()));
        Assert.Equal("float32", root.GetProperty("dtype").GetString());
        Assert.Equal(conv.Select(c => c[0]), root.GetProperty("h5_first").EnumerateArray().Select(e => e.GetSingle()));
        Assert.Equal(conv.Select(c => c[^1]), root.GetProperty("npy_last").EnumerateArray().Select(e => e.GetSingle()));
    }

    [Fact]
    public void AnUnknownBlobIsNamedWithTheNetsBlobs()
    {
        using var dir = new TempDir();
        var (net, weights, _, _) = Setup(dir);
        var error = new StringWriter();
        Assert.Equal(1, CommandLine.Run(["extract-features", weights, net, "pool5", dir.File("x_lmdb"), "1"], new StringWriter(), error));
        Assert.Contains("the net has no blob 'pool5'; its blobs are data, label, conv, fc", error.ToString());
        Assert.False(Directory.Exists(dir.File("x_lmdb")));
    }
}
