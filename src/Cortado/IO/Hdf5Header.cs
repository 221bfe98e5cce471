using Cortado.Errors;

namespace Cortado.IO;

/// <summary>
/// The first check libhdf5 makes of a file, made before PureHDF reads it: the superblock's
/// end-of-file address must lie within the file. PureHDF does not check it, and on a file cut short
/// or with bytes inserted it can loop, allocating, instead of failing.
/// </summary>
public static class Hdf5Header
{
    private static ReadOnlySpan<byte> Signature => [0x89, (byte)'H', (byte)'D', (byte)'F', 0x0D, 0x0A, 0x1A, 0x0A];

    public static void Check(string path)
    {
        using var stream = File.OpenRead(path);
        long length = stream.Length;
        var head = new byte[96];
        // The superblock sits at 0, 512, 1024, 2048, ... (a user block may come first).
        for (long at = 0; at < length; at = at == 0 ? 512 : at * 2)
        {
            stream.Position = at;
            int read = stream.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
            if (read < 16 || !head.AsSpan(0, 8).SequenceEqual(Signature)) continue;
            int version = head[8];
            int offsets = version < 2 ? head[13] : head[9];
            if (offsets is not (2 or 4 or 8)) throw new ModelFileException(path, $"is a damaged HDF5 file (superblock offsets of {offsets} bytes)");
            // Version 0 puts the base, free-space, end-of-file and driver addresses after 24 bytes, version 1
            // after 28; versions 2 and 3 put base, extension, end-of-file and root addresses after 12.
            int addresses = version switch { 0 => 24, 1 => 28, 2 or 3 => 12, _ => throw new ModelFileException(path, $"has HDF5 superblock version {version}, which is not known") };
            int eofField = addresses + 2 * offsets;
            if (eofField + offsets > read) throw new ModelFileException(path, "is cut short inside its HDF5 superblock");
            ulong baseAddress = Read(head, addresses, offsets), endOfFile = Read(head, eofField, offsets);
            if (endOfFile != ulong.MaxValue >> (64 - 8 * offsets) && (decimal)baseAddress + endOfFile > length)
                throw new ModelFileException(path, $"is truncated or damaged: its HDF5 superblock says the file ends at byte {(decimal)baseAddress + endOfFile:N0}, but it has {length:N0} bytes");
            return;
        }
        throw new ModelFileException(path, "is not an HDF5 file (no HDF5 signature)");
    }

    private static ulong Read(byte[] bytes, int at, int size)
    {
        ulong value = 0;
        for (int i = size - 1; i >= 0; i--) value = value << 8 | bytes[at + i];
        return value;
    }
}
