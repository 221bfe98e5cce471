using Cortado.Nets;
using Cortado.Proto;
using Cortado.Tests.Interop;

namespace Cortado.Tests.Data;

/// <summary>
/// HDF5Output writes "data" and "label" as Caffe names them: read back by h5py (an independent
/// reader) and by Cortado's own HDF5Data layer, every forward pass's batch in order.
/// </summary>
public class Hdf5OutputTests
{
    private static string Net(string path) => $$"""
        name: "out"
        layer { name: "data" type: "DummyData" top: "x" top: "y"
          dummy_data_param { shape { dim: 3 dim: 2 dim: 2 } shape { dim: 3 } data_filler { type: "uniform" min: -1 max: 1 } data_filler { type: "uniform" min: 0 max: 9 } } }
        layer { name: "save" type: "HDF5Output" bottom: "x" bottom: "y" hdf5_output_param { file_name: "{{path}}" } }
        """;

    [Fact]
    public void EveryBatchIsWrittenAndReadBackByH5pyAndByHdf5Data()
    {
        using var dir = new TempDir();
        string file = dir.File("out.h5");
        var batches = new List<float[]>();
        var labels = new List<float[]>();
        using (var net = new Net(TextFormat.Parse<NetParameter>(Net(file)), Phase.Test))
        {
            for (int i = 0; i < 2; i++)
            {
                net.Forward();
                batches.Add(net.Blob("x").HostData.ToArray());
                labels.Add(net.Blob("y").HostData.ToArray());
            }
            Assert.False(File.Exists(file), "written when the net is done, atomically");
        }
        var expected = batches.SelectMany(b => b).ToArray();
        string printed = PythonRunner.Run("""
            import sys, h5py
            with h5py.File(sys.argv[1], "r") as f:
                print(sorted(f.keys()), f["data"].shape, f["label"].shape, f["data"].dtype)
                print(" ".join(repr(float(v)) for v in f["data"][()].ravel()))
            """, file);
        var lines = printed.Trim().Split('\n');
        Assert.Equal("['data', 'label'] (6, 2, 2) (6,) float32", lines[0].Trim());
        Assert.Equal(expected, lines[1].Split(' ').Select(float.Parse).ToArray());

        File.WriteAllText(dir.File("list.txt"), file + "\n");
        using var reader = new Net(TextFormat.Parse<NetParameter>($$"""
            layer { name: "in" type: "HDF5Data" top: "data" top: "label" hdf5_data_param { source: "{{dir.File("list.txt")}}" batch_size: 6 } }
            """), Phase.Test);
        reader.Forward();
        Assert.Equal(expected, reader.Blob("data").HostData.ToArray());
        Assert.Equal(labels.SelectMany(l => l).ToArray(), reader.Blob("label").HostData.ToArray());
    }

    [Fact]
    public void AMissingFileNameIsNamed()
    {
        var error = Assert.Throws<Cortado.Errors.LayerException>(() => new Net(TextFormat.Parse<NetParameter>(Net("").Replace("hdf5_output_param { file_name: \"\" }", "")), Phase.Test));
        Assert.Contains("needs hdf5_output_param { file_name", error.Message);
    }
}
