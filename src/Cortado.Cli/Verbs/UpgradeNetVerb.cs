using Cortado.Proto;

namespace Cortado.Cli.Verbs;

/// <summary>
/// Rewrites an old-style net (V0 or V1 <c>layers</c>, deprecated inputs and data fields)
/// in the current form, like Caffe's upgrade_net_proto_text/_binary tools. A binary input
/// (.caffemodel) gives a binary output; a prototxt gives a prototxt.
/// </summary>
public sealed class UpgradeNetVerb : IVerb
{
    public string Name => "upgrade-net";
    public string Summary => "rewrite an old-style net (V0/V1 'layers', prototxt or .caffemodel) in the current form";
    public string Usage => "IN OUT";
    public IReadOnlyList<Flag> Flags => [];

    public int Run(VerbArguments arguments, VerbConsole console)
    {
        var output = console.Out;
        var paths = arguments.ExpectPositional(2);
        bool binary = ProtoFiles.LooksBinary(paths[0]);
        var net = binary ? ProtoFiles.ReadBinary(paths[0], NetParameter.Parser) : ProtoFiles.ReadText<NetParameter>(paths[0]);
        if (net.Layer.Count == 0 && net.Layers.Count == 0 && net.Input.Count == 0)
            throw new Errors.ModelFileException(paths[0], "holds no layers (an empty file?); there is nothing to upgrade");
        bool changed = ProtoFiles.UpgradeNet(net, paths[0]);
        if (binary) ProtoFiles.WriteBinary(paths[1], net);
        else ProtoFiles.WriteText(paths[1], net);
        output.WriteLine(changed
            ? $"Upgraded {paths[0]} to the current form: {net.Layer.Count} layers written to {paths[1]}"
            : $"{paths[0]} was already in the current form; copied to {paths[1]}");
        return 0;
    }
}
