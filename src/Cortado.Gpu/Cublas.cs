using System.Reflection;
using System.Runtime.InteropServices;

namespace Cortado.Gpu;

/// <summary>
/// cuBLAS's sgemm on the accelerator's stream, called on ILGPU's device pointers. The library is
/// found as libcublas.so or by its versioned names (12, 13, 11), or at CORTADO_CUBLAS; where it is
/// missing, <see cref="TryOpen"/> gives null and the GEMM kernel is used instead.
/// </summary>
internal sealed partial class Cublas : IDisposable
{
    private const string Library = "cublas";
    private static readonly string[] Names = ["libcublas.so", "libcublas.so.13", "libcublas.so.12", "libcublas.so.11"];
    private readonly IntPtr _handle;

    static Cublas() => NativeLibrary.SetDllImportResolver(typeof(Cublas).Assembly, Resolve);

    private Cublas(IntPtr handle) => _handle = handle;

    private static IntPtr Resolve(string name, Assembly assembly, DllImportSearchPath? path)
    {
        if (name != Library) return IntPtr.Zero;
        string? explicitPath = Environment.GetEnvironmentVariable("CORTADO_CUBLAS");
        if (explicitPath != null && NativeLibrary.TryLoad(explicitPath, out var loaded)) return loaded;
        foreach (var candidate in Names)
            if (NativeLibrary.TryLoad(candidate, assembly, path, out loaded)) return loaded;
        return IntPtr.Zero;
    }

    /// <summary>A handle bound to <paramref name="stream"/>, or null (with the reason) when cuBLAS cannot be loaded or started.</summary>
    public static Cublas? TryOpen(IntPtr stream, out string reason)
    {
        try
        {
            int status = cublasCreate_v2(out var handle);
            if (status != 0) { reason = $"cublasCreate failed with status {status}"; return null; }
            status = cublasSetStream_v2(handle, stream);
            if (status != 0) { cublasDestroy_v2(handle); reason = $"cublasSetStream failed with status {status}"; return null; }
            reason = "";
            return new Cublas(handle);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            reason = "libcublas was not found (set CORTADO_CUBLAS to its path)";
            return null;
        }
    }

    /// <summary>Row-major C (m x n) = alpha op(A) op(B) + beta C, as column-major C^T = op(B)^T op(A)^T.</summary>
    public void Sgemm(bool transA, bool transB, int m, int n, int k, float alpha, IntPtr a, IntPtr b, float beta, IntPtr c)
    {
        int lda = transA ? m : k, ldb = transB ? k : n;
        int status = cublasSgemm_v2(_handle, transB ? 1 : 0, transA ? 1 : 0, n, m, k, ref alpha, b, ldb, a, lda, ref beta, c, n);
        if (status != 0) throw new InvalidOperationException($"cublasSgemm failed with status {status} ({m}x{n}x{k})");
    }

    public void Dispose() => cublasDestroy_v2(_handle);

    [LibraryImport(Library)] private static partial int cublasCreate_v2(out IntPtr handle);
    [LibraryImport(Library)] private static partial int cublasDestroy_v2(IntPtr handle);
    [LibraryImport(Library)] private static partial int cublasSetStream_v2(IntPtr handle, IntPtr stream);
    [LibraryImport(Library)]
    private static partial int cublasSgemm_v2(IntPtr handle, int transa, int transb, int m, int n, int k, ref float alpha, IntPtr a, int lda,
        IntPtr b, int ldb, ref float beta, IntPtr c, int ldc);
}
