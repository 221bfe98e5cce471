using System.Runtime.InteropServices;

namespace Cortado.Bench;

/// <summary>Debian's OpenBLAS (libopenblas0-pthread), called through its CBLAS interface, as the reference.</summary>
internal static unsafe partial class OpenBlas
{
    private const string Library = "libopenblas.so.0";
    private const int RowMajor = 101, NoTrans = 111, Trans = 112;

    [LibraryImport(Library, EntryPoint = "cblas_sgemm")]
    private static partial void Sgemm(int order, int transA, int transB, int m, int n, int k, float alpha,
        float* a, int lda, float* b, int ldb, float beta, float* c, int ldc);

    [LibraryImport(Library, EntryPoint = "openblas_set_num_threads")]
    public static partial void SetThreads(int threads);

    [LibraryImport(Library, EntryPoint = "openblas_get_corename")]
    private static partial nint CoreName();

    public static string Core => Marshal.PtrToStringAnsi(CoreName()) ?? "?";

    public static bool IsAvailable()
    {
        try { _ = Core; return true; }
        catch (DllNotFoundException) { return false; }
    }

    public static void Gemm(bool ta, bool tb, int m, int n, int k, float[] a, float[] b, float[] c)
    {
        fixed (float* pa = a, pb = b, pc = c)
            Sgemm(RowMajor, ta ? Trans : NoTrans, tb ? Trans : NoTrans, m, n, k, 1f, pa, ta ? m : k, pb, tb ? k : n, 0f, pc, n);
    }
}
