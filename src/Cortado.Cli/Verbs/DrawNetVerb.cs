using Cortado.Nets;
using Cortado.Proto;
using Cortado.Visualization;

namespace Cortado.Cli.Verbs;

/// <summary>Caffe's draw_net.py: a net as a picture (through Graphviz), or as DOT text.</summary>
public sealed class DrawNetVerb : IVerb
{
    public string Name => "draw-net";
    public string Summary => "draw a net as boxes and blobs (as Caffe's draw_net.py): SVG, PNG, PDF (Graphviz) or DOT";
    public string Usage => "NET.prototxt OUT.svg|OUT.png|OUT.pdf|OUT.dot [--rankdir LR|TB|RL|BT] [--phase TRAIN|TEST|ALL]";
    public IReadOnlyList<Flag> Flags =>
    [
        new("rankdir", "the graph's direction (default LR, as draw_net.py)"),
        new("phase", "draw the TRAIN or TEST net, or ALL layers (default ALL, as draw_net.py)"),
    ];

    public int Run(VerbArguments arguments, VerbConsole console)
    {
        var paths = arguments.ExpectPositional(2);
        var net = ProtoFiles.ReadNetText(paths[0]);
        string phase = (arguments.Get("phase") ?? "ALL").ToUpperInvariant();
        var drawn = phase switch
        {
            "ALL" => net,
            "TRAIN" => NetFilter.Filter(net, new NetState { Phase = Phase.Train }),
            "TEST" => NetFilter.Filter(net, new NetState { Phase = Phase.Test }),
            _ => throw new Errors.CortadoException($"draw-net: --phase must be TRAIN, TEST or ALL, got '{phase}'"),
        };
        // Blob shapes need a net that builds; with ALL both phases' layers are drawn, so the TEST net's shapes are used.
        var shapes = NetDiagram.TryShapes(net, new NetState { Phase = phase == "TRAIN" ? Phase.Train : Phase.Test });
        NetDiagram.Render(NetDiagram.ToDot(drawn, arguments.Get("rankdir") ?? "LR", shapes), paths[1]);
        console.Out.WriteLine($"Drew {drawn.Layer.Count} layers of {paths[0]} to {paths[1]}{(shapes == null ? " (without blob shapes: the net does not build here, its data missing?)" : "")}");
        return 0;
    }
}
