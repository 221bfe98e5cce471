using Cortado.Errors;
using Cortado.Proto;

namespace Cortado.Nets;

/// <summary>
/// Keeps the layers whose include/exclude rules the net state meets, as Caffe's
/// Net::FilterNet: a layer with include rules needs one rule met, a layer with exclude
/// rules is dropped when one is met, a layer with neither is always kept.
/// </summary>
public static class NetFilter
{
    public static NetParameter Filter(NetParameter net, NetState state)
    {
        var filtered = net.Clone();
        filtered.Layer.Clear();
        foreach (var layer in net.Layer)
        {
            if (layer.Include.Count > 0 && layer.Exclude.Count > 0)
                throw new LayerException(layer.Name, layer.Type, "gives both include and exclude rules; use one kind");
            bool keep = layer.Include.Count > 0
                ? layer.Include.Any(rule => StateMeetsRule(state, rule))
                : !layer.Exclude.Any(rule => StateMeetsRule(state, rule));
            if (keep) filtered.Layer.Add(layer);
        }
        return filtered;
    }

    public static bool StateMeetsRule(NetState state, NetStateRule rule)
    {
        if (rule.HasPhase && rule.Phase != state.Phase) return false;
        if (rule.HasMinLevel && state.Level < rule.MinLevel) return false;
        if (rule.HasMaxLevel && state.Level > rule.MaxLevel) return false;
        if (rule.Stage.Any(stage => !state.Stage.Contains(stage))) return false;
        if (rule.NotStage.Any(stage => state.Stage.Contains(stage))) return false;
        return true;
    }
}
