using System.Runtime.InteropServices;
using Cortado.Tensors;

namespace Cortado.Distributed;

/// <summary>
/// A 64-bit FNV-1a hash of the weights' bytes, for the debug check that every rank holds the same
/// model. The weights come to the host to be hashed: a cost paid only when the check is asked for.
/// </summary>
public static class WeightHash
{
    public static ulong Of(IEnumerable<Blob> weights)
    {
        ulong hash = 14695981039346656037UL;
        foreach (var blob in weights)
            foreach (byte b in MemoryMarshal.AsBytes(blob.HostData)) hash = (hash ^ b) * 1099511628211UL;
        return hash;
    }
}
