using Cortado.Errors;
using Cortado.Proto;
using PureHDF;

namespace Cortado.IO;

/// <summary>
/// Caffe's HDF5 snapshot layout (snapshot_format: HDF5), written through PureHDF.
/// Weights (.caffemodel.h5): a group /data with one group per layer holding datasets "0",
/// "1", ... in the blobs' shapes (and /diff alike when diffs are saved). Solver state
/// (.solverstate.h5): datasets iter, learned_net and current_step, and /history/0, 1, ...
/// </summary>
public static class Hdf5Snapshots
{
    public static bool IsHdf5(string path) => path.EndsWith(".h5", StringComparison.OrdinalIgnoreCase);

    public static void WriteNet(string path, NetParameter net, bool writeDiff)
    {
        var file = new H5File { ["data"] = LayerGroups(net, diff: false) };
        if (writeDiff) file["diff"] = LayerGroups(net, diff: true);
        AtomicFile.WriteVia(path, temporary => WriteFile(file, temporary, path));
    }

    public static NetParameter ReadNet(string path)
    {
        var file = Open(path);
        var net = new NetParameter();
        try
        {
            var data = file.Group("data");
            foreach (var link in data.Children())
            {
                var layer = new LayerParameter { Name = link.Name };
                var group = data.Group(link.Name);
                var names = group.Children().Select(c => c.Name).ToList();
                for (int i = 0; names.Contains(i.ToString()); i++) layer.Blobs.Add(ReadBlob(group.Dataset(i.ToString())));
                net.Layer.Add(layer);
            }
        }
        catch (Exception e) when (e is not CortadoException)
        {
            throw new ModelFileException(path, $"is not a Caffe HDF5 weights file (expected a /data group with one group per layer): {e.Message}", e);
        }
        return net;
    }

    public static void WriteState(string path, SolverState state)
    {
        var history = new H5Group();
        for (int i = 0; i < state.History.Count; i++) history[i.ToString()] = Dataset(state.History[i].Data.ToArray(), state.History[i].Shape.Dim);
        var file = new H5File
        {
            ["iter"] = state.Iter,
            ["learned_net"] = state.LearnedNet,
            ["current_step"] = state.CurrentStep,
            ["history"] = history,
        };
        AtomicFile.WriteVia(path, temporary => WriteFile(file, temporary, path));
    }

    public static SolverState ReadState(string path)
    {
        var file = Open(path);
        try
        {
            var state = new SolverState
            {
                Iter = file.Dataset("iter").Read<int>(),
                LearnedNet = file.Dataset("learned_net").Read<string>(),
                CurrentStep = file.Dataset("current_step").Read<int>(),
            };
            var history = file.Group("history");
            var names = history.Children().Select(c => c.Name).ToList();
            for (int i = 0; names.Contains(i.ToString()); i++) state.History.Add(ReadBlob(history.Dataset(i.ToString())));
            return state;
        }
        catch (Exception e) when (e is not CortadoException)
        {
            throw new ModelFileException(path, $"is not a Caffe HDF5 solver state (expected iter, learned_net, current_step and /history): {e.Message}", e);
        }
    }

    private static H5Group LayerGroups(NetParameter net, bool diff)
    {
        var groups = new H5Group();
        foreach (var layer in net.Layer)
        {
            var group = new H5Group();
            for (int i = 0; i < layer.Blobs.Count; i++)
            {
                var blob = layer.Blobs[i];
                group[i.ToString()] = Dataset((diff ? blob.Diff : blob.Data).ToArray(), blob.Shape?.Dim ?? [blob.Data.Count]);
            }
            groups[layer.Name] = group;
        }
        return groups;
    }

    private static H5Dataset Dataset(float[] values, IList<long> shape) =>
        new(values, fileDims: shape.Count == 0 ? [1] : shape.Select(d => (ulong)d).ToArray());

    private static BlobProto ReadBlob(IH5Dataset dataset)
    {
        var blob = new BlobProto { Shape = new BlobShape() };
        foreach (ulong dim in dataset.Space.Dimensions) blob.Shape.Dim.Add((long)dim);
        blob.Data.Add(dataset.Read<float[]>());
        return blob;
    }

    private static PureHDF.VOL.Native.NativeFile Open(string path)
    {
        try
        {
            Hdf5Header.Check(path);
            return H5File.OpenRead(path);
        }
        catch (CortadoException) { throw; }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new ModelFileException(path, "file not found", e);
        }
        catch (Exception e)
        {
            throw new ModelFileException(path, $"is not a readable HDF5 file: {e.Message}", e);
        }
    }

    /// <summary>A failed write (a full disk) as an I/O error naming the file; PureHDF reports some wrapped in a reflection exception.</summary>
    internal static void WriteFile(PureHDF.H5File file, string temporary, string target)
    {
        try { file.Write(temporary); }
        catch (System.Reflection.TargetInvocationException e) when (e.InnerException is IOException or UnauthorizedAccessException)
        {
            throw new IOException($"cannot write {target}: {e.InnerException.Message}", e.InnerException);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new IOException($"cannot write {target}: {e.Message}", e);
        }
    }
}
