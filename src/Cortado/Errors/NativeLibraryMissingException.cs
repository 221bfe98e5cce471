namespace Cortado.Errors;

/// <summary>
/// A native library Cortado needs (LMDB) could not be loaded. The message says which library,
/// what was tried and what to install; the loader's own error follows as the inner exception.
/// </summary>
public sealed class NativeLibraryMissingException(string library, string remedy)
    : CortadoException($"the {library} library could not be loaded: {remedy}")
{
    public string Library { get; } = library;
}
