using Cortado.Errors;

namespace Cortado.Compute;

/// <summary>A backend that exists in name but cannot run here (no device, or no driver for it).</summary>
public sealed class BackendUnavailableException(string backend, string reason)
    : CortadoException($"the {backend} backend is not available: {reason}")
{
    public string Backend { get; } = backend;
}
