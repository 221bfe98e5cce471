"""Writes a functional Keras model with two inputs and a residual Add as Keras saves it, without
Keras: model JSON in Keras 2's or Keras 3's functional form, HDF5 weights in that version's layout,
the inputs, and the probabilities a plain numpy forward pass (Keras's semantics) gives for them.

  image (6, 5, 2) -> conv_a 3x3 same relu -> conv_b 3x3 same -> add(conv_b, conv_a) -> relu -> flatten -> dense_a (4)
  flat (3,) -> dense_b (4, relu)
  concatenate(dense_a, dense_b) -> out (3, softmax)

usage: keras_functional_reference.py OUT_DIR FORM   (FORM: keras2, keras3)
"""
import json
import os
import sys

import h5py
import numpy as np

out, form = sys.argv[1], sys.argv[2]
k3 = form == "keras3"
rng = np.random.RandomState(11)
H, W, C, F = 6, 5, 2, 3
weights = {
    "conv_a": [rng.randn(3, 3, C, F).astype(np.float32) * 0.4, rng.randn(F).astype(np.float32) * 0.1],
    "conv_b": [rng.randn(3, 3, F, F).astype(np.float32) * 0.4, rng.randn(F).astype(np.float32) * 0.1],
    "dense_a": [rng.randn(H * W * F, 4).astype(np.float32) * 0.2, rng.randn(4).astype(np.float32) * 0.1],
    "dense_b": [rng.randn(3, 4).astype(np.float32) * 0.5, rng.randn(4).astype(np.float32) * 0.1],
    "out": [rng.randn(8, 3).astype(np.float32) * 0.5, rng.randn(3).astype(np.float32) * 0.1],
}
images = rng.rand(4, H, W, C).astype(np.float32)
flat = rng.rand(4, 3).astype(np.float32)


def conv_same(x, kernel, bias):
    padded = np.pad(x, [(0, 0), (1, 1), (1, 1), (0, 0)])
    y = np.zeros(x.shape[:3] + (kernel.shape[3],), np.float64)
    for i in range(x.shape[1]):
        for j in range(x.shape[2]):
            y[:, i, j, :] = np.tensordot(padded[:, i:i + 3, j:j + 3, :], kernel, axes=([1, 2, 3], [0, 1, 2]))
    return y + bias


def forward(image, vector):
    a = np.maximum(conv_same(image, *weights["conv_a"]), 0)
    b = conv_same(a, *weights["conv_b"])
    r = np.maximum(a + b, 0).reshape(image.shape[0], -1)
    left = r @ weights["dense_a"][0] + weights["dense_a"][1]
    right = np.maximum(vector @ weights["dense_b"][0] + weights["dense_b"][1], 0)
    logits = np.concatenate([left, right], axis=1) @ weights["out"][0] + weights["out"][1]
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def init(name):
    return {"class_name": name, "config": {"seed": None} if name == "GlorotUniform" else {}}


def tensor(name):
    if k3:
        return {"class_name": "__keras_tensor__", "config": {"shape": None, "dtype": "float32", "keras_history": [name, 0, 0]}}
    return [name, 0, 0, {}]


def node(*names):
    if k3:
        args = [tensor(n) for n in names]
        return {"args": args if len(args) == 1 else [args], "kwargs": {}}
    return [tensor(n) for n in names]


def layer(kind, name, config, *inputs):
    entry = {"class_name": kind, "config": dict(name=name, trainable=True, **config), "name": name, "inbound_nodes": [node(*inputs)] if inputs else []}
    if k3:
        entry["module"] = "keras.layers"
        entry["registered_name"] = None
    return entry


def conv(name, source, activation):
    return layer("Conv2D", name, {"filters": F, "kernel_size": [3, 3], "strides": [1, 1], "padding": "same", "data_format": "channels_last",
                                  "dilation_rate": [1, 1], "activation": activation, "use_bias": True,
                                  "kernel_initializer": init("GlorotUniform"), "bias_initializer": init("Zeros")}, source)


def dense(name, units, activation, source):
    return layer("Dense", name, {"units": units, "activation": activation, "use_bias": True,
                                 "kernel_initializer": init("GlorotUniform"), "bias_initializer": init("Zeros")}, source)


shape_key = "batch_shape" if k3 else "batch_input_shape"
layers = [
    layer("InputLayer", "image", {shape_key: [None, H, W, C], "dtype": "float32", "sparse": False}),
    layer("InputLayer", "vector", {shape_key: [None, 3], "dtype": "float32", "sparse": False}),
    conv("conv_a", "image", "relu"),
    conv("conv_b", "conv_a", "linear"),
    layer("Add", "add", {}, "conv_b", "conv_a"),
    layer("Activation", "relu", {"activation": "relu"}, "add"),
    layer("Flatten", "flatten", {"data_format": "channels_last"}, "relu"),
    dense("dense_a", 4, "linear", "flatten"),
    dense("dense_b", 4, "relu", "vector"),
    layer("Concatenate", "concat", {"axis": -1}, "dense_a", "dense_b"),
    dense("out", 3, "softmax", "concat"),
]
config = {"name": "two_inputs", "layers": layers, "input_layers": [["image", 0, 0], ["vector", 0, 0]], "output_layers": [["out", 0, 0]]}
model = {"module": "keras", "class_name": "Functional", "config": config, "registered_name": "Functional"} if k3 else \
    {"class_name": "Functional", "config": config, "keras_version": "2.13.1", "backend": "tensorflow"}
with open(os.path.join(out, "model.json"), "w") as f:
    json.dump(model, f)
names = [entry["name"] for entry in layers]
with h5py.File(os.path.join(out, "weights.h5"), "w") as f:
    if k3:
        for name in names:
            group = f.create_group(f"layers/{name}/vars")
            for i, value in enumerate(weights.get(name, [])):
                group.create_dataset(str(i), data=value)
        f.create_group("vars")
    else:
        f.attrs["layer_names"] = np.array([n.encode() for n in names])
        for name in names:
            group = f.create_group(name)
            full = [f"{name}/{w}" for w in ("kernel:0", "bias:0")] if name in weights else []
            group.attrs["weight_names"] = np.array([w.encode() for w in full], dtype="S64" if full else "S1")
            for path, value in zip(full, weights.get(name, [])):
                group.create_dataset(path, data=value)
images.tofile(os.path.join(out, "images.f32"))
flat.tofile(os.path.join(out, "flat.f32"))
forward(images, flat).astype(np.float32).tofile(os.path.join(out, "expected.f32"))
print("ok", form)
