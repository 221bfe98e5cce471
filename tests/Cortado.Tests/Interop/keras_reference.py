"""Writes a small Keras model as Keras itself saves it, without Keras: model JSON in one of
Keras's forms, HDF5 weights in that version's layout (through h5py/libhdf5), test images, and
the probabilities a plain numpy forward pass (channel-last, Keras's semantics) gives for them.

usage: keras_reference.py OUT_DIR FORM   (FORM: keras1, keras2_list, keras2, keras2_saved, keras3)
"""
import json
import os
import sys

import h5py
import numpy as np

out, form = sys.argv[1], sys.argv[2]
rng = np.random.RandomState(7)
H, W, C, F, U = 6, 5, 2, 3, 4
kernel = rng.randn(3, 3, C, F).astype(np.float32) * 0.5
bias = rng.randn(F).astype(np.float32) * 0.1
gamma, beta = (1 + 0.2 * rng.randn(F)).astype(np.float32), (0.1 * rng.randn(F)).astype(np.float32)
mean, var = (0.3 * rng.randn(F)).astype(np.float32), (1 + rng.rand(F)).astype(np.float32)
dense_in = 2 * 1 * F  # conv 4x3 -> pool 2x1
dense_k = rng.randn(dense_in, U).astype(np.float32) * 0.5
dense_b = rng.randn(U).astype(np.float32) * 0.1
with_bn = form != "keras1"
images = rng.rand(5, H, W, C).astype(np.float32)

def forward(x):
    n = x.shape[0]
    conv = np.zeros((n, H - 2, W - 2, F), np.float32)
    for i in range(H - 2):
        for j in range(W - 2):
            conv[:, i, j, :] = np.tensordot(x[:, i:i + 3, j:j + 3, :], kernel, axes=([1, 2, 3], [0, 1, 2])) + bias
    if with_bn:
        conv = gamma * (conv - mean) / np.sqrt(var + 1e-3) + beta
    conv = np.maximum(conv, 0)
    pooled = conv[:, :4, :2, :].reshape(n, 2, 2, 1, 2, F).max(axis=(2, 4))  # 2x2 windows, floor
    flat = pooled.reshape(n, -1)  # h, w, c order
    logits = flat @ dense_k + dense_b
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)

glorot = {"class_name": "VarianceScaling", "config": {"scale": 1.0, "mode": "fan_avg", "distribution": "uniform", "seed": None}}
zeros = {"class_name": "Zeros", "config": {}}
if form == "keras1":
    names = ["convolution2d_1", "activation_1", "maxpooling2d_1", "flatten_1", "dense_1", "activation_2"]
    layers = [
        {"class_name": "Convolution2D", "config": {"name": names[0], "nb_filter": F, "nb_row": 3, "nb_col": 3, "init": "glorot_uniform",
            "activation": "linear", "border_mode": "valid", "subsample": [1, 1], "dim_ordering": "tf", "bias": True, "batch_input_shape": [None, H, W, C]}},
        {"class_name": "Activation", "config": {"name": names[1], "activation": "relu"}},
        {"class_name": "MaxPooling2D", "config": {"name": names[2], "pool_size": [2, 2], "strides": [2, 2], "border_mode": "valid", "dim_ordering": "tf"}},
        {"class_name": "Flatten", "config": {"name": names[3]}},
        {"class_name": "Dense", "config": {"name": names[4], "output_dim": U, "init": "glorot_uniform", "activation": "linear", "bias": True}},
        {"class_name": "Activation", "config": {"name": names[5], "activation": "softmax"}},
    ]
    model = {"class_name": "Sequential", "config": layers, "keras_version": "1.2.2"}
    weights = {names[0]: [("convolution2d_1_W", kernel), ("convolution2d_1_b", bias)], names[4]: [("dense_1_W", dense_k), ("dense_1_b", dense_b)]}
else:
    k3 = form == "keras3"
    suffix = "" if k3 else "_1"
    names = ["conv2d" + suffix, "batch_normalization" + suffix, "activation" + suffix, "max_pooling2d" + suffix, "flatten" + suffix, "dense" + suffix, "activation" + ("_1" if k3 else "_2")]
    conv = {"name": names[0], "filters": F, "kernel_size": [3, 3], "strides": [1, 1], "padding": "valid", "data_format": "channels_last",
            "dilation_rate": [1, 1], "activation": "linear", "use_bias": True, "kernel_initializer": glorot, "bias_initializer": zeros}
    if not k3:
        conv["batch_input_shape"] = [None, H, W, C]
    layers = [
        {"class_name": "Conv2D", "config": conv},
        {"class_name": "BatchNormalization", "config": {"name": names[1], "axis": -1, "momentum": 0.99, "epsilon": 0.001, "center": True, "scale": True}},
        {"class_name": "Activation", "config": {"name": names[2], "activation": "relu"}},
        {"class_name": "MaxPooling2D", "config": {"name": names[3], "pool_size": [2, 2], "padding": "valid", "strides": [2, 2], "data_format": "channels_last"}},
        {"class_name": "Flatten", "config": {"name": names[4], "data_format": "channels_last"}},
        {"class_name": "Dense", "config": {"name": names[5], "units": U, "activation": "linear", "use_bias": True, "kernel_initializer": glorot, "bias_initializer": zeros}},
        {"class_name": "Activation", "config": {"name": names[6], "activation": "softmax"}},
    ]
    if k3:
        for layer in layers:
            layer["module"] = "keras.layers"
        layers.insert(0, {"module": "keras.layers", "class_name": "InputLayer", "config": {"batch_shape": [None, H, W, C], "dtype": "float32", "name": "input_layer"}})
        model = {"module": "keras", "class_name": "Sequential", "config": {"name": "sequential", "layers": layers}}
    elif form == "keras2_list":
        model = {"class_name": "Sequential", "config": layers, "keras_version": "2.1.6", "backend": "tensorflow"}
    else:
        model = {"class_name": "Sequential", "config": {"name": "sequential_1", "layers": layers}, "keras_version": "2.2.4", "backend": "tensorflow"}
    bn = [("gamma:0", gamma), ("beta:0", beta), ("moving_mean:0", mean), ("moving_variance:0", var)]
    weights = {names[0]: [("kernel:0", kernel), ("bias:0", bias)], names[1]: bn, names[5]: [("kernel:0", dense_k), ("bias:0", dense_b)]}

with open(os.path.join(out, "model.json"), "w") as f:
    json.dump(model, f)
with h5py.File(os.path.join(out, "weights.h5"), "w") as f:
    if form == "keras3":
        for name, arrays in weights.items():
            for i, (_, value) in enumerate(arrays):
                f.create_dataset(f"layers/{name}/vars/{i}", data=value)
    else:
        root = f.create_group("model_weights") if form == "keras2_saved" else f
        if form == "keras2_saved":
            f.attrs["model_config"] = json.dumps(model).encode()
        root.attrs["layer_names"] = np.array([n.encode() for n in names])
        for name in names:
            group = root.create_group(name)
            arrays = weights.get(name, [])
            full = [w if form == "keras1" else f"{name}/{w}" for w, _ in arrays]
            group.attrs["weight_names"] = np.array([w.encode() for w in full], dtype="S64" if full else "S1")
            for (_, value), path in zip(arrays, full):
                group.create_dataset(path, data=value)
images.tofile(os.path.join(out, "images.f32"))
forward(images).astype(np.float32).tofile(os.path.join(out, "expected.f32"))
print("ok", form)
