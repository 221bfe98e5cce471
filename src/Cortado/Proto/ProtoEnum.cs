using System.Collections.Concurrent;
using System.Reflection;
using Google.Protobuf.Reflection;

namespace Cortado.Proto;

/// <summary>The schema's spelling of generated enum values (LMDB, not Lmdb), as prototxt files and logs show them.</summary>
public static class ProtoEnum
{
    private static readonly ConcurrentDictionary<Enum, string> Names = new();

    public static string Name(Enum value) => Names.GetOrAdd(value, v =>
        v.GetType().GetField(v.ToString())?.GetCustomAttribute<OriginalNameAttribute>()?.Name ?? v.ToString());
}
