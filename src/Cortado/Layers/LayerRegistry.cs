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
/// Layers by their prototxt type string. Every non-abstract <see cref="Layer"/> of Cortado with a
/// <see cref="LayerTypeAttribute"/> registers itself; users add their own with <see cref="Register"/>
/// or by assembly (<see cref="RegisterAssembly"/>, <see cref="LoadAssembly"/>: the command line's
/// --layers). An unknown type lists the known ones.
/// </summary>
public static class LayerRegistry
{
    private static readonly Dictionary<string, Func<LayerParameter, LayerContext, Layer>> Factories = Discover();
    private static readonly Lock Guard = new();
    // The class behind each name registered from a type, so loading the same assembly twice is harmless.
    private static readonly Dictionary<string, Type> Owners = new(StringComparer.Ordinal);

    public static IReadOnlyCollection<string> Types
    {
        get { lock (Guard) return [.. Factories.Keys]; }
    }

    public static bool IsKnown(string type)
    {
        lock (Guard) return Factories.ContainsKey(type);
    }

    public static Layer Create(LayerParameter param, LayerContext context)
    {
        Func<LayerParameter, LayerContext, Layer>? create;
        lock (Guard)
            if (!Factories.TryGetValue(param.Type, out create))
                throw new LayerException(param.Name, param.Type,
                    $"unknown layer type \"{param.Type}\"; known types: {string.Join(", ", Factories.Keys.Order(StringComparer.Ordinal))}" +
                    " (a layer of your own: LayerRegistry.Register, or --layers YOUR.dll)");
        return create(param, context);
    }

    /// <summary>Adds a layer type. A name already taken (by Cortado or an earlier registration) is an error, never a silent replacement.</summary>
    public static void Register(string type, Func<LayerParameter, LayerContext, Layer> factory)
    {
        ArgumentException.ThrowIfNullOrEmpty(type);
        lock (Guard)
            if (!Factories.TryAdd(type, factory))
                throw new CortadoException($"layer type \"{type}\" is already registered; give your layer another type name");
    }

    /// <summary>Registers <typeparamref name="TLayer"/> under the names of its <see cref="LayerTypeAttribute"/>.</summary>
    public static void Register<TLayer>() where TLayer : Layer => RegisterType(typeof(TLayer));

    /// <summary>Registers every layer class with a <see cref="LayerTypeAttribute"/> in <paramref name="assembly"/>; returns their type names.</summary>
    public static IReadOnlyList<string> RegisterAssembly(Assembly assembly)
    {
        var names = new List<string>();
        foreach (var type in assembly.GetTypes().Where(IsLayerClass)) names.AddRange(RegisterType(type));
        return names;
    }

    /// <summary>Loads a .dll of layers and registers them; a missing or unloadable file names itself.</summary>
    public static IReadOnlyList<string> LoadAssembly(string path) => RegisterAssembly(CustomLayers.Load(path));

    private static bool IsLayerClass(Type type) =>
        !type.IsAbstract && typeof(Layer).IsAssignableFrom(type) && type.GetCustomAttribute<LayerTypeAttribute>() != null;

    private static IReadOnlyList<string> RegisterType(Type type)
    {
        var names = type.GetCustomAttribute<LayerTypeAttribute>()?.Names
            ?? throw new CortadoException($"{type.FullName} has no [LayerType(\"...\")] attribute naming its prototxt type");
        var create = CustomLayers.Constructor(type);
        lock (Guard)
            foreach (var name in names)
            {
                if (Owners.TryGetValue(name, out var owner) && owner == type) continue;
                Register(name, create);
                Owners[name] = type;
            }
        return names;
    }

    private static Dictionary<string, Func<LayerParameter, LayerContext, Layer>> Discover()
    {
        var factories = new Dictionary<string, Func<LayerParameter, LayerContext, Layer>>(StringComparer.Ordinal);
        foreach (var type in typeof(Layer).Assembly.GetTypes().Where(IsLayerClass))
        {
            var create = CustomLayers.Constructor(type);
            foreach (var name in type.GetCustomAttribute<LayerTypeAttribute>()!.Names) factories[name] = create;
        }
        factories["Python"] = CustomLayers.CreatePythonLayer;
        return factories;
    }
}
