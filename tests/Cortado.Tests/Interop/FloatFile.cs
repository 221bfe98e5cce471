namespace Cortado.Tests.Interop;

/// <summary>Raw little-endian float32 files, as the Python reference scripts write them with numpy's tofile.</summary>
internal static class FloatFile
{
    public static float[] Read(string path)
    {
        var bytes = File.ReadAllBytes(path);
        var values = new float[bytes.Length / 4];
        Buffer.BlockCopy(bytes, 0, values, 0, bytes.Length);
        return values;
    }
}
