namespace Cortado.IO;

/// <summary>
/// Reads a whole model or prototxt file, refusing what is not a regular file: a device such as
/// /dev/zero reports length 0 and never ends, and reading it to the end would fill the memory.
/// </summary>
public static class FileBytes
{
    public static byte[] Read(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan);
        if (!stream.CanSeek) throw new IOException($"{path} is not a regular file (a pipe or device?)");
        long length = stream.Length;
        if (length > Array.MaxLength) throw new IOException($"{path} is {length:N0} bytes, more than one buffer can hold");
        var bytes = new byte[length];
        stream.ReadExactly(bytes);
        if (stream.ReadByte() >= 0) throw new IOException($"{path} is not a regular file (it reads past its own length; a device?)");
        return bytes;
    }
}
