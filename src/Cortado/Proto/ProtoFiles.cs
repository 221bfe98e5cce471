using Cortado.Errors;
using Cortado.IO;
using Google.Protobuf;

namespace Cortado.Proto;

/// <summary>
/// Reading and writing Caffe's files: prototxt (text) and binary protobuf (.caffemodel,
/// .solverstate, .binaryproto). Nets and solvers are upgraded from old forms on read.
/// Every failure names the file; every write is atomic.
/// </summary>
public static class ProtoFiles
{
    /// <summary>Reads a net prototxt and upgrades it to the current layer form.</summary>
    public static NetParameter ReadNetText(string path)
    {
        var net = ReadText<NetParameter>(path);
        UpgradeNet(net, path);
        return net;
    }

    /// <summary>Reads a binary NetParameter (a .caffemodel) and upgrades it to the current layer form.</summary>
    public static NetParameter ReadNetBinary(string path)
    {
        var net = ReadBinary(path, NetParameter.Parser);
        UpgradeNet(net, path);
        return net;
    }

    /// <summary>Upgrades a net read from <paramref name="path"/>; errors name that file.</summary>
    public static bool UpgradeNet(NetParameter net, string path) => Upgrade(path, () => NetUpgrader.Upgrade(net));

    /// <summary>Trained weights: a binary .caffemodel, or Caffe's HDF5 layout when the name ends in .h5.</summary>
    public static NetParameter ReadWeights(string path) => IO.Hdf5Snapshots.IsHdf5(path) ? IO.Hdf5Snapshots.ReadNet(path) : ReadNetBinary(path);

    /// <summary>A solver state: binary .solverstate, or Caffe's HDF5 layout when the name ends in .h5.</summary>
    public static SolverState ReadSolverState(string path) => IO.Hdf5Snapshots.IsHdf5(path) ? IO.Hdf5Snapshots.ReadState(path) : ReadBinary(path, SolverState.Parser);

    /// <summary>Reads a net in either form, telling them apart by content.</summary>
    public static NetParameter ReadNet(string path) => LooksBinary(path) ? ReadNetBinary(path) : ReadNetText(path);

    public static SolverParameter ReadSolverText(string path)
    {
        var solver = ReadText<SolverParameter>(path);
        Upgrade(path, () => SolverUpgrader.Upgrade(solver));
        return solver;
    }

    public static T ReadText<T>(string path) where T : IMessage<T>, new()
    {
        byte[] bytes;
        try { bytes = FileBytes.Read(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ModelFileException(path, Missing(e, $"cannot read the {typeof(T).Name} prototxt"), e);
        }
        if (bytes.AsSpan(0, Math.Min(bytes.Length, 4096)).IndexOfAnyInRange((byte)0x00, (byte)0x08) >= 0)
            throw new ModelFileException(path, $"is a binary file (a .caffemodel, .solverstate or .binaryproto?), where a {typeof(T).Name} prototxt (text) was expected" +
                (typeof(T) == typeof(NetParameter) ? "; give the net's prototxt here and the binary weights as --weights" : ""));
        return TextFormat.Parse<T>(Utf8Text(bytes, path), path);
    }

    /// <summary>
    /// Reads a binary message. A missing, truncated or non-protobuf file, or one holding no
    /// field of <typeparamref name="T"/>, is a <see cref="ModelFileException"/> naming the file.
    /// </summary>
    public static T ReadBinary<T>(string path, MessageParser<T> parser) where T : IMessage<T>
    {
        byte[] bytes;
        try { bytes = FileBytes.Read(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ModelFileException(path, Missing(e, $"cannot read the binary {typeof(T).Name}"), e);
        }
        T message;
        try { message = parser.ParseFrom(bytes); }
        catch (InvalidProtocolBufferException e)
        {
            throw new ModelFileException(path, $"is not a valid binary {typeof(T).Name} ({bytes.Length} bytes; truncated or not a protobuf file): {e.Message}", e);
        }
        if (bytes.Length > 0 && parser.WithDiscardUnknownFields(true).ParseFrom(bytes).CalculateSize() == 0)
            throw new ModelFileException(path, $"holds none of the fields of a {typeof(T).Name} ({bytes.Length} bytes); is it the right kind of file?");
        return message;
    }

    public static void WriteBinary(string path, IMessage message) => AtomicFile.Write(path, message.WriteTo);

    public static void WriteText(string path, IMessage message) => AtomicFile.WriteAllText(path, TextFormat.Print(message));

    /// <summary>Binary protobuf files hold bytes that never appear in a prototxt.</summary>
    public static bool LooksBinary(string path)
    {
        try
        {
            using var stream = File.OpenRead(path);
            var head = new byte[Math.Min(4096, stream.Length)];
            stream.ReadExactly(head);
            return head.Any(b => b < 0x09 || (b > 0x0d && b < 0x20));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ModelFileException(path, Missing(e, "cannot read the file"), e);
        }
    }

    /// <summary>The text of a prototxt, which must be UTF-8 (a byte-order mark is allowed): invalid bytes are an error, not silently replaced.</summary>
    private static string Utf8Text(byte[] bytes, string path)
    {
        int start = bytes.AsSpan().StartsWith("\uFEFF"u8) ? 3 : 0;
        try { return new System.Text.UTF8Encoding(false, throwOnInvalidBytes: true).GetString(bytes, start, bytes.Length - start); }
        catch (System.Text.DecoderFallbackException e)
        {
            throw new ModelFileException(path, $"is not valid UTF-8 text (at byte {start + e.Index}); save the prototxt as UTF-8", e);
        }
    }

    private static string Missing(Exception e, string what) =>
        e is FileNotFoundException or DirectoryNotFoundException ? "file not found" : $"{what}: {e.Message}";

    private static bool Upgrade(string path, Func<bool> upgrade)
    {
        try { return upgrade(); }
        catch (CortadoException e) when (e is not ModelFileException)
        {
            throw new ModelFileException(path, e.Message, e);
        }
    }
}
