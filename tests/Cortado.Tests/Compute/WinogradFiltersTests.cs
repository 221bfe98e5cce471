using System.Runtime.InteropServices;
using Cortado.Compute;
using Cortado.Tensors;

namespace Cortado.Tests.Compute;

/// <summary>
/// A layer's transformed filters are kept while its weights are unchanged: for a blob's weights
/// that is while the blob hands out no view for writing, for other weights while they compare equal.
/// </summary>
public class WinogradFiltersTests
{
    private static readonly ConvolutionShape Shape =
        new(1, 16, 16, 1, new ConvolutionGeometry(18, 18, 3, 3, 0, 0), Reversed: false);

    private static float[] Transformed(ReadOnlySpan<float> weights)
    {
        var filters = new float[Winograd.FilterLength(Shape)];
        Winograd.TransformFilters(Shape, weights, filters);
        return filters;
    }

    [Fact]
    public void ABlobsWeightsAreTransformedAgainOnlyAfterAViewForWritingIsHandedOut()
    {
        var cpu = CpuCompute.Instance;
        var blob = new Blob(16, 16, 3, 3);
        Reference.Random(blob.Count, 7).CopyTo(blob.Data);
        var cache = new WinogradFilters();
        var first = cache.For(Shape, blob.HostData, blob.ReadData(cpu)).ToArray();
        Assert.Equal(Transformed(blob.HostData), first);

        // A value changed behind the blob's back (no view for writing asked for) is not looked at:
        // that is what saves the comparison.
        MemoryMarshal.GetReference(blob.HostData) += 1f;
        Assert.Equal(first, cache.For(Shape, blob.HostData, blob.ReadData(cpu)));

        // Any view for writing, host or backend, makes the next call transform the weights again.
        blob.Data[1] -= 2f;
        Assert.Equal(Transformed(blob.HostData), cache.For(Shape, blob.HostData, blob.ReadData(cpu)));
        MemoryMarshal.GetReference(blob.HostData) += 1f;
        cpu.Scal(1f, blob.WriteData(cpu));
        var again = cache.For(Shape, blob.HostData, blob.ReadData(cpu));
        Assert.Equal(Transformed(blob.HostData), again);
        Assert.NotEqual(first, again);
    }

    [Fact]
    public void WeightsOutsideABlobAreComparedWithTheCopyKept()
    {
        var weights = Reference.Random(16 * 16 * 9, 8);
        var cache = new WinogradFilters();
        Assert.Equal(Transformed(weights), cache.For(Shape, weights));
        weights[100] *= -3f;
        Assert.Equal(Transformed(weights), cache.For(Shape, weights));

        // Memory the backend allocated for itself counts no writes, so it is compared too.
        var cpu = CpuCompute.Instance;
        var buffer = cpu.Allocate<float>(weights.Length);
        var held = cpu.Host(buffer.All);
        weights.CopyTo(held);
        Assert.Equal(Transformed(weights), cache.For(Shape, held, buffer.All));
        held[5] += 1f;
        Assert.Equal(Transformed(held), cache.For(Shape, held, buffer.All));
    }

    [Fact]
    public void BlobMemoryCountsTheViewsForWritingAndNotThoseForReading()
    {
        var device = new EmulatedDevice();
        var blob = new Blob(2, 3);
        blob.Data.Fill(1f);
        var buffer = blob.ReadData(device).Buffer;
        Assert.True(buffer.WritesCounted);
        long writes = buffer.Writes;
        blob.ReadData(device);
        _ = blob.HostData[0];
        Assert.Equal(writes, buffer.Writes);
        blob.WriteData(device);
        Assert.Equal(writes + 1, buffer.Writes);
        blob.Data[0] = 2f;
        Assert.Equal(writes + 2, buffer.Writes);
        Assert.False(device.Allocate<float>(4).WritesCounted);
    }
}
