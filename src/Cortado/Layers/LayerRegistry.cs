using System.Reflection;
using Cortado.Errors;
using Cortado.Proto;

namespace Cortado.Layers;

/// <summary>Marks a layer class with the prototxt <c>type</c> strings it implements.</summary>
[AttributeUsage(AttributeTargets.Class)]
public sealed class LayerTypeAttribute(params string[] names) : Attribute
{
    public IReadOnlyList<string> Names { get; } = names;
}

/// <summary>
/// Layers by their prototxt type string. Every non-abstract <see cref="Layer"/> with a
/// <see cref="LayerTypeAttribute"/> registers itself; an unknown type lists the known ones.
/// </summary>
public static class LayerRegistry
{
    private static readonly Dictionary<string, Func<LayerParameter, LayerContext, Layer>> Factories = Discover();

    public static IReadOnlyCollection<string> Types => Factories.Keys;

    public static bool IsKnown(string type) => Factories.ContainsKey(type);

    public static Layer Create(LayerParameter param, LayerContext context)
    {
        if (!Factories.TryGetValue(param.Type, out var create))
            throw new LayerException(param.Name, param.Type,
                $"unknown layer type \"{param.Type}\"; known types: {string.Join(", ", Factories.Keys.Order(StringComparer.Ordinal))}");
        return create(param, context);
    }

    private static Dictionary<string, Func<LayerParameter, LayerContext, Layer>> Discover()
    {
        var factories = new Dictionary<string, Func<LayerParameter, LayerContext, Layer>>(StringComparer.Ordinal);
        foreach (var type in typeof(Layer).Assembly.GetTypes())
        {
            if (type.IsAbstract || !typeof(Layer).IsAssignableFrom(type)) continue;
            var names = type.GetCustomAttribute<LayerTypeAttribute>()?.Names;
            if (names == null) continue;
            var constructor = type.GetConstructor([typeof(LayerParameter), typeof(LayerContext)])
                ?? throw new InvalidOperationException($"{type.Name} needs a (LayerParameter, LayerContext) constructor");
            foreach (var name in names) factories[name] = (p, c) => (Layer)constructor.Invoke([p, c]);
        }
        return factories;
    }
}
