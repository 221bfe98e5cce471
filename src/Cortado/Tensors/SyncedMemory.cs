using Cortado.Compute;
using Cortado.Errors;

namespace Cortado.Tensors;

/// <summary>
/// Caffe's SyncedMemory: one array of values that may live on the host, on a backend's device,
/// or on both. The head says where the latest values are; a copy is made only when the other
/// side asks, and only in that direction. Callers say what they need: reading keeps both sides
/// valid (synced), writing makes the side written the only valid one.
/// A backend without memory of its own (the CPU) is handed the host array itself, so it never copies.
/// Each view handed out for writing is counted (<see cref="DeviceBuffer{T}.Writes"/>), so a backend
/// knows when values it transformed and kept are stale.
/// </summary>
public sealed class SyncedMemory<T> where T : unmanaged
{
    private enum Head { Uninitialized, Host, Device, Synced }

    private readonly T[] _host;
    private DeviceBuffer<T>? _device;
    private Head _head = Head.Uninitialized;

    public SyncedMemory(int capacity) => _host = capacity == 0 ? [] : new T[capacity];

    public int Capacity => _host.Length;

    /// <summary>Host values, up to date, for reading; the device copy stays valid.</summary>
    public ReadOnlySpan<T> ReadHost(int count)
    {
        ToHost();
        return _host.AsSpan(0, count);
    }

    /// <summary>Host values, up to date, for writing: after this the device copy is stale.</summary>
    public Span<T> WriteHost(int count)
    {
        ToHost();
        _head = Head.Host;
        _device?.CountWrite();
        return _host.AsSpan(0, count);
    }

    /// <summary>The values in <paramref name="backend"/>'s memory, up to date, for reading.</summary>
    public DeviceSpan<T> ReadDevice(ICompute backend, int count)
    {
        ToDevice(backend);
        return _device!.All.Slice(0, count);
    }

    /// <summary>The values in <paramref name="backend"/>'s memory, for writing (read-modify-write is fine): the host copy is stale after this.</summary>
    public DeviceSpan<T> WriteDevice(ICompute backend, int count)
    {
        ToDevice(backend);
        if (backend.HasOwnMemory) _head = Head.Device;
        _device!.CountWrite();
        return _device!.All.Slice(0, count);
    }

    private void ToHost()
    {
        switch (_head)
        {
            case Head.Uninitialized:
                _head = Head.Host; // the host array starts zeroed
                break;
            case Head.Device:
                _device!.Owner.CopyToHost(_device.All, _host);
                _head = Head.Synced;
                break;
        }
    }

    private void ToDevice(ICompute backend)
    {
        Bind(backend);
        if (!backend.HasOwnMemory) return;
        switch (_head)
        {
            case Head.Uninitialized:
                backend.Fill(_device!.All, default);
                _head = Head.Device;
                break;
            case Head.Host:
                backend.CopyToDevice<T>(_host, _device!.All);
                _head = Head.Synced;
                break;
        }
    }

    private void Bind(ICompute backend)
    {
        // The device side belongs to the backend that first asked; its buffer knows which.
        if (_device is { } held)
        {
            if (ReferenceEquals(held.Owner, backend)) return;
            throw new CortadoException($"memory held by the {held.Owner.Name} backend was asked for by {backend.Name}; a net's blobs live on one backend");
        }
        _device = backend.HasOwnMemory ? backend.Allocate<T>(_host.Length) : new HostBuffer<T>(backend, _host);
        _device.CountWrites();
    }
}
