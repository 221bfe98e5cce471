"""Reads a model file saved by Cortado as Keras's own loaders read it, without Keras, and runs it
with numpy in Keras's semantics (channel-last, 'same' padding split with the odd pixel last).

Keras 2 (.h5): model_config and training_config attributes, /model_weights with layer_names and
each group's weight_names (chunked attributes included), datasets at those names.
Keras 3 (.keras): a zip with config.json and metadata.json; model.weights.h5 read from memory,
each layer's variables at layers/NAME/vars/0, 1, ...

A functional model's calls are made in the order their inputs become available, as Keras's
loader makes them, from each layer's inbound_nodes (Keras 2's nested lists, Keras 3's
__keras_tensor__ keras_history).

usage: keras_saved_reader.py MODEL INPUT.f32 OUT.f32 [MORE_INPUTS.f32 ...]
Prints one JSON line describing what was read; writes the (first) output to OUT.f32.
"""
import io
import json
import sys
import zipfile

import h5py
import numpy as np

path, images_path, out_path = sys.argv[1:4]
input_paths = [images_path] + sys.argv[4:]


def text(value):
    return value.decode("utf-8") if hasattr(value, "decode") else value


def attribute_list(group, name):
    if name in group.attrs:
        return [text(n) for n in group.attrs[name]]
    data, chunk = [], 0
    while f"{name}{chunk}" in group.attrs:
        data.extend(text(n) for n in group.attrs[f"{name}{chunk}"])
        chunk += 1
    return data


weights, weight_names = {}, {}
if path.endswith(".keras"):
    with zipfile.ZipFile(path) as archive:
        config = json.loads(archive.read("config.json"))
        version = json.loads(archive.read("metadata.json"))["keras_version"]
        stored = [info.compress_type for info in archive.infolist()]
        store = h5py.File(io.BytesIO(archive.read("model.weights.h5")), "r")
    compiled = config.get("compile_config")
    layers = config["config"]["layers"]
    for layer in layers:
        name = layer["config"]["name"]
        if layer["class_name"] == "InputLayer" and name not in store["layers"]:
            continue
        variables = store["layers"][name]["vars"]
        weights[name] = [np.asarray(variables[str(i)]) for i in range(len(variables))]
        weight_names[name] = [str(i) for i in range(len(variables))]
    loss = compiled and compiled["loss"]
    optimizer = compiled and compiled["optimizer"]
    extra = {"stored": stored, "module": config.get("module"), "top_vars": "vars" in store}
else:
    f = h5py.File(path, "r")
    version = text(f.attrs["keras_version"])
    config = json.loads(text(f.attrs["model_config"]))
    training = json.loads(text(f.attrs["training_config"])) if "training_config" in f.attrs else None
    group = f["model_weights"]
    for name in attribute_list(group, "layer_names"):
        names = attribute_list(group[name], "weight_names")
        weights[name] = [np.asarray(group[name][w]) for w in names]
        weight_names[name] = names
    layers = config["config"]["layers"]
    loss = training and training["loss"]
    optimizer = training and training["optimizer_config"]
    extra = {"backend": text(f.attrs["backend"])}



def read_input(layer, file):
    c = layer["config"]
    shape = c.get("batch_input_shape") or c["batch_shape"]
    return np.fromfile(file, np.float32).reshape([-1] + shape[1:])


def activate(x, name):
    if name in (None, "linear"):
        return x
    if name == "relu":
        return np.maximum(x, 0)
    if name == "softmax":
        e = np.exp(x - x.max(axis=-1, keepdims=True))
        return e / e.sum(axis=-1, keepdims=True)
    raise SystemExit(f"activation {name}")


def same_pad(x, kernel, stride):
    pads = []
    for axis, (k, s) in enumerate(zip(kernel, stride)):
        size = x.shape[1 + axis]
        out = -(-size // s)
        total = max((out - 1) * s + k - size, 0)
        pads.append((total // 2, total - total // 2))
    return np.pad(x, [(0, 0), pads[0], pads[1], (0, 0)])


def apply(layer, inputs):
    kind, c = layer["class_name"], layer["config"]
    w = weights.get(c["name"], [])
    if kind in ("Add", "Subtract", "Multiply", "Average", "Maximum", "Concatenate"):
        if kind == "Add":
            return sum(inputs)
        if kind == "Subtract":
            return inputs[0] - inputs[1]
        if kind == "Multiply":
            return np.prod(inputs, axis=0)
        if kind == "Average":
            return sum(inputs) / len(inputs)
        if kind == "Maximum":
            return np.max(inputs, axis=0)
        return np.concatenate(inputs, axis=c["axis"])
    x = inputs[0]
    if kind == "Conv2D":
        kernel, stride = w[0], c["strides"]
        if c["padding"] == "same":
            x = same_pad(x, kernel.shape[:2], stride)
        kh, kw = kernel.shape[:2]
        oh, ow = (x.shape[1] - kh) // stride[0] + 1, (x.shape[2] - kw) // stride[1] + 1
        y = np.zeros((x.shape[0], oh, ow, kernel.shape[3]), np.float64)
        for i in range(oh):
            for j in range(ow):
                patch = x[:, i * stride[0]:i * stride[0] + kh, j * stride[1]:j * stride[1] + kw, :]
                y[:, i, j, :] = np.tensordot(patch, kernel, axes=([1, 2, 3], [0, 1, 2]))
        x = activate(y + (w[1] if c["use_bias"] else 0), c["activation"])
    elif kind in ("MaxPooling2D", "AveragePooling2D"):
        (ph, pw), (sh, sw) = c["pool_size"], c["strides"]
        if c["padding"] == "same":
            if kind != "MaxPooling2D":
                raise SystemExit("same average pooling")
            padded = same_pad(x, (ph, pw), (sh, sw))
            # Padded cells never win a max: mark them -inf where same_pad put zeros.
            mask = same_pad(np.ones_like(x), (ph, pw), (sh, sw))
            x = np.where(mask > 0, padded, -np.inf)
        oh, ow = (x.shape[1] - ph) // sh + 1, (x.shape[2] - pw) // sw + 1
        y = np.zeros((x.shape[0], oh, ow, x.shape[3]))
        for i in range(oh):
            for j in range(ow):
                window = x[:, i * sh:i * sh + ph, j * sw:j * sw + pw, :]
                y[:, i, j, :] = window.max(axis=(1, 2)) if kind == "MaxPooling2D" else window.mean(axis=(1, 2))
        x = y
    elif kind == "Conv2DTranspose":
        kernel, (sh, sw) = w[0], c["strides"]
        kh, kw, filters = kernel.shape[0], kernel.shape[1], kernel.shape[2]
        n, h, width = x.shape[0], x.shape[1], x.shape[2]
        full = np.zeros((n, (h - 1) * sh + kh, (width - 1) * sw + kw, filters))
        for i in range(h):
            for j in range(width):
                # each input pixel scatters its kernel: (n, in) x (kh, kw, filters, in)
                full[:, i * sh:i * sh + kh, j * sw:j * sw + kw, :] += np.einsum("nc,yxfc->nyxf", x[:, i, j, :], kernel)
        if c["padding"] == "same":
            top, left = max(kh - sh, 0) // 2, max(kw - sw, 0) // 2
            full = full[:, top:top + h * sh, left:left + width * sw, :]
        x = activate(full + (w[1] if c["use_bias"] else 0), c["activation"])
    elif kind == "PReLU":
        x = np.where(x > 0, x, w[0] * x)
    elif kind == "BatchNormalization":
        gamma, beta, mean, var = w
        x = gamma * (x - mean) / np.sqrt(var + c["epsilon"]) + beta
    elif kind == "Activation":
        x = activate(x, c["activation"])
    elif kind == "LeakyReLU":
        alpha = c.get("alpha", c.get("negative_slope"))
        x = np.where(x > 0, x, alpha * x)
    elif kind == "ZeroPadding2D":
        (top, bottom), (left, right) = c["padding"]
        x = np.pad(x, [(0, 0), (top, bottom), (left, right), (0, 0)])
    elif kind == "Rescaling":
        x = x * c["scale"] + c["offset"]
    elif kind == "Reshape":
        x = x.reshape([x.shape[0]] + list(c["target_shape"]))
    elif kind == "Permute":
        x = np.transpose(x, [0] + list(c["dims"]))
    elif kind == "Flatten":
        x = x.reshape(x.shape[0], -1)
    elif kind == "Dense":
        x = activate(x @ w[0] + (w[1] if c["use_bias"] else 0), c["activation"])
    elif kind in ("Dropout", "SpatialDropout2D"):
        pass
    elif kind == "GlobalAveragePooling2D":
        x = x.mean(axis=(1, 2))
    elif kind == "GlobalMaxPooling2D":
        x = x.max(axis=(1, 2))
    elif kind == "Cropping2D":
        (top, bottom), (left, right) = c["cropping"]
        x = x[:, top:x.shape[1] - bottom, left:x.shape[2] - right, :]
    elif kind == "UpSampling2D":
        x = x.repeat(c["size"][0], axis=1).repeat(c["size"][1], axis=2)
    elif kind == "ELU":
        x = np.where(x > 0, x, c["alpha"] * (np.exp(x) - 1))
    elif kind == "ReLU":
        y = np.where(x > c["threshold"], x, c["negative_slope"] * (x - c["threshold"]))
        x = y if c["max_value"] is None else np.minimum(y, c["max_value"])
    elif kind == "Embedding":
        x = w[0][x.astype(np.int64)]
    else:
        raise SystemExit(f"layer {kind}")
    return x


def references(node):
    if isinstance(node, dict):
        found = []

        def collect(value):
            if isinstance(value, list):
                for item in value:
                    collect(item)
            elif isinstance(value, dict) and value.get("class_name") == "__keras_tensor__":
                found.append(tuple(value["config"]["keras_history"][:2]))
        collect(node["args"])
        return found
    return [tuple(r[:2]) for r in node]


if config["class_name"] == "Sequential":
    x = read_input(layers[0], input_paths[0])
    for layer in layers[1:]:
        x = apply(layer, [x])
else:
    inputs = [l for l in layers if l["class_name"] == "InputLayer"]
    values = {(l["config"]["name"], 0): read_input(l, f) for l, f in zip(inputs, input_paths)}
    done = {l["config"]["name"]: 0 for l in layers if l["class_name"] != "InputLayer"}
    progress = True
    while progress:
        progress = False
        for layer in layers:
            name = layer["config"]["name"]
            if layer["class_name"] == "InputLayer":
                continue
            while done[name] < len(layer["inbound_nodes"]):
                refs = references(layer["inbound_nodes"][done[name]])
                if not all(r in values for r in refs):
                    break
                values[(name, done[name])] = apply(layer, [values[r] for r in refs])
                done[name] += 1
                progress = True
    out = config["config"]["output_layers"]
    x = values[tuple((out[0] if isinstance(out[0], list) else out)[:2])]
x.astype(np.float32).tofile(out_path)
print(json.dumps({
    "version": version, "model": config["class_name"], "classes": [l["class_name"] for l in layers],
    "weights": {n: [[wn, list(a.shape), str(a.dtype)] for wn, a in zip(weight_names[n], weights[n])] for n in weights},
    "loss": loss, "optimizer": optimizer, **extra,
}))
