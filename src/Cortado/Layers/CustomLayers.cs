using System.Reflection;
using Cortado.Errors;
using Cortado.Proto;

namespace Cortado.Layers;

/// <summary>
/// Layers written by users, in C#: loading their assemblies, and Caffe's <c>type: "Python"</c>
/// layers, whose <c>python_param</c> names a .dll (or a loaded assembly) as <c>module</c> and the
/// layer's full class name as <c>layer</c>; the class reads <c>param_str</c> from its parameter.
/// </summary>
internal static class CustomLayers
{
    public static Assembly Load(string path)
    {
        string full = Path.GetFullPath(path);
        if (!File.Exists(full)) throw new ModelFileException(path, $"layer assembly not found (looked for {full})");
        try { return Assembly.LoadFrom(full); }
        catch (Exception e) when (e is BadImageFormatException or FileLoadException)
        {
            throw new ModelFileException(path, $"is not a .NET assembly Cortado can load: {e.Message}", e);
        }
    }

    public static Func<LayerParameter, LayerContext, Layer> Constructor(Type type)
    {
        var constructor = type.GetConstructor([typeof(LayerParameter), typeof(LayerContext)])
            ?? throw new CortadoException($"{type.FullName} needs a public (LayerParameter, LayerContext) constructor to be created from a prototxt");
        return (p, c) =>
        {
            try { return (Layer)constructor.Invoke([p, c]); }
            catch (TargetInvocationException e) when (e.InnerException != null)
            {
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(e.InnerException).Throw();
                throw;
            }
        };
    }

    /// <summary>Creates the C# class a <c>type: "Python"</c> layer names.</summary>
    public static Layer CreatePythonLayer(LayerParameter param, LayerContext context)
    {
        var p = param.PythonParam;
        LayerException Refuse(string problem) => new(param.Name, "Python", problem);
        if (p == null || string.IsNullOrEmpty(p.Module) || string.IsNullOrEmpty(p.Layer))
            throw Refuse("python_param needs module (a .dll of C# layers, or a loaded assembly's name) and layer (the class's full name)");
        var assembly = FindAssembly(p.Module) ?? throw Refuse(
            p.Module.EndsWith(".dll", StringComparison.OrdinalIgnoreCase)
                ? $"module '{p.Module}' was not found (a relative path is read from the working directory, {Environment.CurrentDirectory})"
                : $"module '{p.Module}' is not a loaded assembly nor a .dll; Cortado runs layers written in C#: build a class deriving from Cortado.Layers.Layer into a .dll and name its path here");
        var type = assembly.GetType(p.Layer) ?? assembly.GetTypes().FirstOrDefault(t => t.Name == p.Layer)
            ?? throw Refuse($"{assembly.GetName().Name} has no class '{p.Layer}' (give its full name, namespace included)");
        if (type.IsAbstract || !typeof(Layer).IsAssignableFrom(type)) throw Refuse($"{type.FullName} is not a concrete Cortado.Layers.Layer");
        return Constructor(type)(param, context);
    }

    /// <summary>An assembly already loaded under that name, else the .dll at that path (loading a loaded path gives the same assembly).</summary>
    private static Assembly? FindAssembly(string module) =>
        AppDomain.CurrentDomain.GetAssemblies().FirstOrDefault(a => a.GetName().Name == module) ?? (File.Exists(module) ? Load(module) : null);
}
