using System.Globalization;
using Cortado.IO;
using Cortado.Proto;
using Cortado.Solvers;
using Cortado.Tests.Solvers;

namespace Cortado.Tests.Interop;

/// <summary>snapshot_format: HDF5, in Caffe's layout, checked against libhdf5 through h5py.</summary>
public class Hdf5SnapshotTests
{
    private static Solver Create(TempDir dir, string prefix, string extra = "") =>
        SolverFactory.Create(SolverTestNets.Solver(SolverTestNets.Classifier,
            $"base_lr: 0.05 lr_policy: 'fixed' momentum: 0.9 max_iter: 20 random_seed: 4 snapshot_format: HDF5 snapshot_prefix: '{dir.File(prefix)}' {extra}"));

    [Fact]
    public void Hdf5SnapshotsResumeExactly()
    {
        using var dir = new TempDir();
        var straight = Create(dir, "a");
        straight.Step(10);
        var first = Create(dir, "b");
        first.Step(5);
        string state = first.Snapshot();
        Assert.Equal(dir.File("b_iter_5.solverstate.h5"), state);
        Assert.True(File.Exists(dir.File("b_iter_5.caffemodel.h5")));
        var second = Create(dir, "b");
        second.Restore(state);
        second.Step(5);
        for (int i = 0; i < straight.Net.LearnableParams.Count; i++)
            Assert.Equal(straight.Net.LearnableParams[i].Data.ToArray(), second.Net.LearnableParams[i].Data.ToArray());
    }

    [Fact]
    public void LibHdf5ReadsCortadosSnapshotsInCaffesLayout()
    {
        using var dir = new TempDir();
        var solver = Create(dir, "m");
        solver.Step(2);
        solver.Snapshot();
        string report = PythonRunner.Run("""
            import sys, h5py
            with h5py.File(sys.argv[1], 'r') as f:
                w = f['data/conv/0']
                print('conv0', w.shape, w.dtype, repr(float(w[1, 2, 0, 1])))
                print('layers', sorted(f['data'].keys()))
            with h5py.File(sys.argv[2], 'r') as s:
                print('iter', int(s['iter'][()]), 'net', s['learned_net'][()].decode() if isinstance(s['learned_net'][()], bytes) else s['learned_net'][()])
                print('history', sorted(s['history'].keys(), key=int), s['history/0'].shape)
            """, dir.File("m_iter_2.caffemodel.h5"), dir.File("m_iter_2.solverstate.h5"));
        float expected = solver.Net.Layer("conv").Blobs[0].Data[((1 * 3 + 2) * 3 + 0) * 3 + 1];
        Assert.Contains($"conv0 (4, 3, 3, 3) float32 {((double)expected).ToString("R", CultureInfo.InvariantCulture)}", report);
        Assert.Contains("layers ['conv', 'data', 'drop', 'fc', 'loss', 'relu']", report);
        Assert.Contains($"iter 2 net {dir.File("m_iter_2.caffemodel.h5")}", report);
        Assert.Contains("history ['0', '1', '2', '3'] (4, 3, 3, 3)", report);
    }

    [Fact]
    public void ReadsWeightsWrittenByLibHdf5()
    {
        using var dir = new TempDir();
        PythonRunner.Run("""
            import sys, h5py, numpy as np
            with h5py.File(sys.argv[1], 'w') as f:
                f.create_dataset('data/ip/0', data=np.arange(6, dtype=np.float32).reshape(3, 2))
                f.create_dataset('data/ip/1', data=np.array([0.5, -0.5, 2], dtype=np.float32))
                f.create_group('data/relu')
            """, dir.File("w.caffemodel.h5"));
        var net = Hdf5Snapshots.ReadNet(dir.File("w.caffemodel.h5"));
        var ip = net.Layer.Single(l => l.Name == "ip");
        Assert.Equal([3L, 2], ip.Blobs[0].Shape.Dim);
        Assert.Equal([0f, 1, 2, 3, 4, 5], ip.Blobs[0].Data);
        Assert.Equal([0.5f, -0.5f, 2f], ip.Blobs[1].Data);
        Assert.Empty(net.Layer.Single(l => l.Name == "relu").Blobs);
    }

    [Fact]
    public void NonHdf5FileIsNamed()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.File("x.caffemodel.h5"), "not hdf5");
        var e = Assert.Throws<Cortado.Errors.ModelFileException>(() => ProtoFiles.ReadWeights(dir.File("x.caffemodel.h5")));
        Assert.StartsWith(dir.File("x.caffemodel.h5") + ":", e.Message);
    }
}
