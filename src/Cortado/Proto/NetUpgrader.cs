using Cortado.Errors;
using Google.Protobuf;
using Google.Protobuf.Reflection;
using V0 = Cortado.Proto.V0LayerParameter;
using V1Type = Cortado.Proto.V1LayerParameter.Types.LayerType;

namespace Cortado.Proto;

/// <summary>
/// Brings nets written for older Caffe versions to the current form, in Caffe's order:
/// V0 layers (2013, <c>layers { layer { type: "conv" } }</c>) to V1, V1 layers
/// (<c>layers { type: CONVOLUTION }</c>) to <c>layer { type: "Convolution" }</c>, the data
/// layers' scale/mean/crop/mirror into <c>transform_param</c>, the net's <c>input</c> fields
/// into an Input layer, and the fixed <c>param</c> entries of BatchNorm layers removed.
/// </summary>
public static class NetUpgrader
{
    /// <summary>Upgrades in place. Returns true when anything changed.</summary>
    public static bool Upgrade(NetParameter net)
    {
        bool changed = false;
        if (net.Layers.Any(l => l.Layer != null)) { UpgradeV0(net); changed = true; }
        if (net.Layers.Count > 0) { UpgradeV1(net); changed = true; }
        changed |= UpgradeDataTransformation(net);
        changed |= UpgradeInput(net);
        changed |= UpgradeBatchNorm(net);
        return changed;
    }

    /// <summary>The current type string of a V1 layer type, as Caffe's registry names it.</summary>
    public static string V1TypeName(V1Type type) => type switch
    {
        V1Type.Absval => "AbsVal",
        V1Type.Accuracy => "Accuracy",
        V1Type.Argmax => "ArgMax",
        V1Type.Bnll => "BNLL",
        V1Type.Concat => "Concat",
        V1Type.ContrastiveLoss => "ContrastiveLoss",
        V1Type.Convolution => "Convolution",
        V1Type.Deconvolution => "Deconvolution",
        V1Type.Data => "Data",
        V1Type.Dropout => "Dropout",
        V1Type.DummyData => "DummyData",
        V1Type.EuclideanLoss => "EuclideanLoss",
        V1Type.Eltwise => "Eltwise",
        V1Type.Exp => "Exp",
        V1Type.Flatten => "Flatten",
        V1Type.Hdf5Data => "HDF5Data",
        V1Type.Hdf5Output => "HDF5Output",
        V1Type.HingeLoss => "HingeLoss",
        V1Type.Im2Col => "Im2col",
        V1Type.ImageData => "ImageData",
        V1Type.InfogainLoss => "InfogainLoss",
        V1Type.InnerProduct => "InnerProduct",
        V1Type.Lrn => "LRN",
        V1Type.MemoryData => "MemoryData",
        V1Type.MultinomialLogisticLoss => "MultinomialLogisticLoss",
        V1Type.Mvn => "MVN",
        V1Type.Pooling => "Pooling",
        V1Type.Power => "Power",
        V1Type.Relu => "ReLU",
        V1Type.Sigmoid => "Sigmoid",
        V1Type.SigmoidCrossEntropyLoss => "SigmoidCrossEntropyLoss",
        V1Type.Silence => "Silence",
        V1Type.Softmax => "Softmax",
        V1Type.SoftmaxLoss => "SoftmaxWithLoss",
        V1Type.Split => "Split",
        V1Type.Slice => "Slice",
        V1Type.Tanh => "TanH",
        V1Type.WindowData => "WindowData",
        V1Type.Threshold => "Threshold",
        _ => throw new CortadoException($"V1 layer type {type} has no current equivalent"),
    };

    // ------------------------------------------------------------------ V1 -> current

    private static void UpgradeV1(NetParameter net)
    {
        if (net.Layer.Count > 0)
            throw new CortadoException("the net mixes old 'layers' entries with new 'layer' entries; use one form");
        foreach (var old in net.Layers) net.Layer.Add(UpgradeV1Layer(old));
        net.Layers.Clear();
    }

    private static LayerParameter UpgradeV1Layer(V1LayerParameter old)
    {
        string where = $"V1 layer '{old.Name}'";
        if (old.Layer != null) throw new CortadoException($"{where} still holds a V0 layer");
        var layer = new LayerParameter { Name = old.Name };
        layer.Bottom.AddRange(old.Bottom);
        layer.Top.AddRange(old.Top);
        layer.Include.AddRange(old.Include);
        layer.Exclude.AddRange(old.Exclude);
        layer.Blobs.AddRange(old.Blobs);
        layer.LossWeight.AddRange(old.LossWeight);
        if (old.HasType) layer.Type = V1TypeName(old.Type);

        int specs = new[] { old.Param.Count, old.BlobShareMode.Count, old.BlobsLr.Count, old.WeightDecay.Count }.Max();
        for (int i = 0; i < specs; i++)
        {
            var spec = new ParamSpec();
            if (i < old.Param.Count) spec.Name = old.Param[i];
            if (i < old.BlobShareMode.Count) spec.ShareMode = (ParamSpec.Types.DimCheckMode)(int)old.BlobShareMode[i];
            if (i < old.BlobsLr.Count) spec.LrMult = old.BlobsLr[i];
            if (i < old.WeightDecay.Count) spec.DecayMult = old.WeightDecay[i];
            layer.Param.Add(spec);
        }

        // Every *_param message of V1 has a field of the same name and type in LayerParameter.
        var target = LayerParameter.Descriptor;
        foreach (var field in V1LayerParameter.Descriptor.Fields.InFieldNumberOrder())
        {
            if (field.FieldType != FieldType.Message || !field.Name.EndsWith("_param") || !field.Accessor.HasValue(old)) continue;
            var destination = target.FindFieldByName(field.Name)
                ?? throw new CortadoException($"{where}: {field.Name} has no place in the current layer form");
            destination.Accessor.SetValue(layer, field.MessageType.Parser.ParseFrom(((IMessage)field.Accessor.GetValue(old)).ToByteString()));
        }
        return layer;
    }

    // ------------------------------------------------------------------ V0 -> V1

    private static readonly Dictionary<string, V1Type> V0Types = new()
    {
        ["accuracy"] = V1Type.Accuracy, ["bnll"] = V1Type.Bnll, ["concat"] = V1Type.Concat,
        ["conv"] = V1Type.Convolution, ["data"] = V1Type.Data, ["dropout"] = V1Type.Dropout,
        ["euclidean_loss"] = V1Type.EuclideanLoss, ["flatten"] = V1Type.Flatten,
        ["hdf5_data"] = V1Type.Hdf5Data, ["hdf5_output"] = V1Type.Hdf5Output, ["im2col"] = V1Type.Im2Col,
        ["images"] = V1Type.ImageData, ["infogain_loss"] = V1Type.InfogainLoss,
        ["innerproduct"] = V1Type.InnerProduct, ["lrn"] = V1Type.Lrn,
        ["multinomial_logistic_loss"] = V1Type.MultinomialLogisticLoss, ["pool"] = V1Type.Pooling,
        ["relu"] = V1Type.Relu, ["sigmoid"] = V1Type.Sigmoid, ["softmax"] = V1Type.Softmax,
        ["softmax_loss"] = V1Type.SoftmaxLoss, ["split"] = V1Type.Split, ["tanh"] = V1Type.Tanh,
        ["window_data"] = V1Type.WindowData,
    };

    private static void UpgradeV0(NetParameter net)
    {
        FoldPaddingLayers(net);
        var upgraded = net.Layers.Select(UpgradeV0Layer).ToList();
        net.Layers.Clear();
        net.Layers.AddRange(upgraded);
    }

    // V0 nets pad with a separate "padding" layer; its amount moves into the consumer.
    private static void FoldPaddingLayers(NetParameter net)
    {
        var kept = new List<V1LayerParameter>();
        var replacedBlob = new Dictionary<string, (string Source, uint Pad)>();
        foreach (var entry in net.Layers)
        {
            var v0 = entry.Layer;
            if (v0 != null && v0.Type == "padding")
            {
                if (entry.Bottom.Count != 1 || entry.Top.Count != 1)
                    throw new CortadoException($"V0 padding layer '{v0.Name}' must have one bottom and one top");
                replacedBlob[entry.Top[0]] = (entry.Bottom[0], v0.Pad);
                continue;
            }
            for (int i = 0; i < entry.Bottom.Count; i++)
            {
                if (!replacedBlob.TryGetValue(entry.Bottom[i], out var padding)) continue;
                if (v0 == null || (v0.Type != "conv" && v0.Type != "pool"))
                    throw new CortadoException($"V0 padding feeds layer '{v0?.Name}', which is neither a convolution nor a pooling layer");
                v0.Pad = padding.Pad;
                entry.Bottom[i] = padding.Source;
            }
            kept.Add(entry);
        }
        net.Layers.Clear();
        net.Layers.AddRange(kept);
    }

    private static V1LayerParameter UpgradeV0Layer(V1LayerParameter entry)
    {
        var v0 = entry.Layer;
        if (v0 == null) return entry;
        var layer = entry.Clone();
        layer.Layer = null;
        if (v0.HasName) layer.Name = v0.Name;
        if (!v0.HasType) return layer;
        if (!V0Types.TryGetValue(v0.Type, out var type))
            throw new CortadoException($"V0 layer '{v0.Name}' has type \"{v0.Type}\", which has no V1 equivalent; known: {string.Join(", ", V0Types.Keys)}");
        layer.Type = type;
        layer.Blobs.AddRange(v0.Blobs);
        layer.BlobsLr.AddRange(v0.BlobsLr);
        layer.WeightDecay.AddRange(v0.WeightDecay);

        switch (type)
        {
            case V1Type.Convolution:
                var conv = layer.ConvolutionParam = new ConvolutionParameter();
                if (v0.HasNumOutput) conv.NumOutput = v0.NumOutput;
                if (v0.HasBiasterm) conv.BiasTerm = v0.Biasterm;
                if (v0.WeightFiller != null) conv.WeightFiller = v0.WeightFiller;
                if (v0.BiasFiller != null) conv.BiasFiller = v0.BiasFiller;
                if (v0.HasPad) conv.Pad.Add(v0.Pad);
                if (v0.HasKernelsize) conv.KernelSize.Add(v0.Kernelsize);
                if (v0.HasGroup) conv.Group = v0.Group;
                if (v0.HasStride) conv.Stride.Add(v0.Stride);
                break;
            case V1Type.InnerProduct:
                var ip = layer.InnerProductParam = new InnerProductParameter();
                if (v0.HasNumOutput) ip.NumOutput = v0.NumOutput;
                if (v0.HasBiasterm) ip.BiasTerm = v0.Biasterm;
                if (v0.WeightFiller != null) ip.WeightFiller = v0.WeightFiller;
                if (v0.BiasFiller != null) ip.BiasFiller = v0.BiasFiller;
                break;
            case V1Type.Pooling:
                var pool = layer.PoolingParam = new PoolingParameter();
                if (v0.HasPad) pool.Pad = v0.Pad;
                if (v0.HasKernelsize) pool.KernelSize = v0.Kernelsize;
                if (v0.HasStride) pool.Stride = v0.Stride;
                if (v0.HasPool) pool.Pool = (PoolingParameter.Types.PoolMethod)(int)v0.Pool;
                break;
            case V1Type.Dropout:
                layer.DropoutParam = new DropoutParameter();
                if (v0.HasDropoutRatio) layer.DropoutParam.DropoutRatio = v0.DropoutRatio;
                break;
            case V1Type.Lrn:
                var lrn = layer.LrnParam = new LRNParameter();
                if (v0.HasLocalSize) lrn.LocalSize = v0.LocalSize;
                if (v0.HasAlpha) lrn.Alpha = v0.Alpha;
                if (v0.HasBeta) lrn.Beta = v0.Beta;
                if (v0.HasK) lrn.K = v0.K;
                break;
            case V1Type.Data:
                var data = layer.DataParam = new DataParameter();
                if (v0.HasSource) data.Source = v0.Source;
                if (v0.HasBatchsize) data.BatchSize = v0.Batchsize;
                if (v0.HasRandSkip) data.RandSkip = v0.RandSkip;
                layer.TransformParam = V0Transformation(v0);
                break;
            case V1Type.ImageData:
                var images = layer.ImageDataParam = new ImageDataParameter();
                if (v0.HasSource) images.Source = v0.Source;
                if (v0.HasBatchsize) images.BatchSize = v0.Batchsize;
                if (v0.HasRandSkip) images.RandSkip = v0.RandSkip;
                if (v0.HasShuffleImages) images.Shuffle = v0.ShuffleImages;
                if (v0.HasNewHeight) images.NewHeight = (uint)v0.NewHeight;
                if (v0.HasNewWidth) images.NewWidth = (uint)v0.NewWidth;
                layer.TransformParam = V0Transformation(v0);
                break;
            case V1Type.WindowData:
                var window = layer.WindowDataParam = new WindowDataParameter();
                if (v0.HasSource) window.Source = v0.Source;
                if (v0.HasBatchsize) window.BatchSize = v0.Batchsize;
                if (v0.HasDetFgThreshold) window.FgThreshold = v0.DetFgThreshold;
                if (v0.HasDetBgThreshold) window.BgThreshold = v0.DetBgThreshold;
                if (v0.HasDetFgFraction) window.FgFraction = v0.DetFgFraction;
                if (v0.HasDetContextPad) window.ContextPad = v0.DetContextPad;
                if (v0.HasDetCropMode) window.CropMode = v0.DetCropMode;
                layer.TransformParam = V0Transformation(v0);
                break;
            case V1Type.Hdf5Data:
                layer.Hdf5DataParam = new HDF5DataParameter();
                if (v0.HasSource) layer.Hdf5DataParam.Source = v0.Source;
                if (v0.HasBatchsize) layer.Hdf5DataParam.BatchSize = v0.Batchsize;
                break;
            case V1Type.Hdf5Output:
                if (v0.Hdf5OutputParam != null) layer.Hdf5OutputParam = v0.Hdf5OutputParam;
                break;
            case V1Type.InfogainLoss:
                layer.InfogainLossParam = new InfogainLossParameter();
                if (v0.HasSource) layer.InfogainLossParam.Source = v0.Source;
                break;
            case V1Type.Concat:
                layer.ConcatParam = new ConcatParameter();
                if (v0.HasConcatDim) layer.ConcatParam.ConcatDim = v0.ConcatDim;
                break;
        }
        return layer;
    }

    private static TransformationParameter V0Transformation(V0 v0)
    {
        var transform = new TransformationParameter();
        if (v0.HasScale) transform.Scale = v0.Scale;
        if (v0.HasMeanfile) transform.MeanFile = v0.Meanfile;
        if (v0.HasCropsize) transform.CropSize = v0.Cropsize;
        if (v0.HasMirror) transform.Mirror = v0.Mirror;
        return transform;
    }

    // ------------------------------------------------------------------ data transformation

    // scale, mean_file, crop_size and mirror once lived in the data layers' own parameters.
    private static readonly string[] TransformFields = ["scale", "mean_file", "crop_size", "mirror"];

    private static bool UpgradeDataTransformation(NetParameter net)
    {
        bool changed = false;
        foreach (var layer in net.Layer)
        {
            foreach (IMessage? source in new IMessage?[] { layer.DataParam, layer.ImageDataParam, layer.WindowDataParam })
            {
                if (source == null) continue;
                foreach (var name in TransformFields)
                {
                    var from = source.Descriptor.FindFieldByName(name);
                    if (from == null || !from.Accessor.HasValue(source)) continue;
                    layer.TransformParam ??= new TransformationParameter();
                    TransformationParameter.Descriptor.FindFieldByName(name).Accessor.SetValue(layer.TransformParam, from.Accessor.GetValue(source));
                    from.Accessor.Clear(source);
                    changed = true;
                }
            }
        }
        return changed;
    }

    // ------------------------------------------------------------------ net inputs

    private static bool UpgradeInput(NetParameter net)
    {
        if (net.InputShape.Count == 0 && net.InputDim.Count == 0) return false;
        var input = new LayerParameter { Name = "input", Type = "Input", InputParam = new InputParameter() };
        if (net.InputShape.Count > 0)
        {
            if (net.InputShape.Count != 1 && net.InputShape.Count != net.Input.Count)
                throw new CortadoException($"the net has {net.Input.Count} input(s) but {net.InputShape.Count} input_shape entries; give one, or one per input");
            input.InputParam.Shape.AddRange(net.InputShape);
        }
        else
        {
            if (net.InputDim.Count != 4 * net.Input.Count)
                throw new CortadoException($"the net has {net.Input.Count} input(s) and {net.InputDim.Count} input_dim values; expected 4 per input (num, channels, height, width)");
            for (int i = 0; i < net.Input.Count; i++)
            {
                var shape = new BlobShape();
                for (int d = 0; d < 4; d++) shape.Dim.Add(net.InputDim[4 * i + d]);
                input.InputParam.Shape.Add(shape);
            }
        }
        input.Top.AddRange(net.Input);
        net.Layer.Insert(0, input);
        net.Input.Clear();
        net.InputShape.Clear();
        net.InputDim.Clear();
        return true;
    }

    // ------------------------------------------------------------------ BatchNorm

    // Old BatchNorm layers listed three 'param { lr_mult: 0 }' entries; the layer now fixes these itself.
    private static bool UpgradeBatchNorm(NetParameter net)
    {
        bool changed = false;
        foreach (var layer in net.Layer.Where(l => l.Type == "BatchNorm" && l.Param.Count == 3))
        {
            layer.Param.Clear();
            changed = true;
        }
        return changed;
    }
}
