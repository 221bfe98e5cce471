"""Runs Caffe-form LSTM and RNN weights through PyTorch's own nn.LSTM and nn.RNN.

Usage: torch_recurrent.py DIR KIND T N D H. DIR holds float32 little-endian files written by the
test: x.bin (T x N x D) and the layer's parameters in Caffe's order (p0.bin, p1.bin, ...). The
sequences start at step 0 from a zero state, so cont = <0, 1, 1, ...> in Caffe is PyTorch's zero
initial state. Caffe's LSTM gates are ordered i, f, o, g and PyTorch's i, f, g, o; PyTorch's two
biases become Caffe's one (b_hh = 0). Caffe's RNN adds an output layer o = tanh(W_ho h + b_o),
applied here with torch as well. Writes out.bin (T x N x H).
"""
import os
import sys

import numpy as np
import torch

folder, kind = sys.argv[1], sys.argv[2]
steps, streams, inputs, hidden = (int(v) for v in sys.argv[3:7])


def load(name, *shape):
    return torch.from_numpy(np.fromfile(os.path.join(folder, name), dtype="<f4").reshape(shape))


x = load("x.bin", steps, streams, inputs)
with torch.no_grad():
    if kind == "LSTM":
        wx, b, wh = load("p0.bin", 4 * hidden, inputs), load("p1.bin", 4 * hidden), load("p2.bin", 4 * hidden, hidden)
        order = torch.cat([torch.arange(0, 2 * hidden), torch.arange(3 * hidden, 4 * hidden), torch.arange(2 * hidden, 3 * hidden)])
        lstm = torch.nn.LSTM(inputs, hidden)
        lstm.weight_ih_l0.copy_(wx[order])
        lstm.weight_hh_l0.copy_(wh[order])
        lstm.bias_ih_l0.copy_(b[order])
        lstm.bias_hh_l0.zero_()
        out, _ = lstm(x)
    else:
        wxh, bh, whh = load("p0.bin", hidden, inputs), load("p1.bin", hidden), load("p2.bin", hidden, hidden)
        who, bo = load("p3.bin", hidden, hidden), load("p4.bin", hidden)
        rnn = torch.nn.RNN(inputs, hidden, nonlinearity="tanh")
        rnn.weight_ih_l0.copy_(wxh)
        rnn.weight_hh_l0.copy_(whh)
        rnn.bias_ih_l0.copy_(bh)
        rnn.bias_hh_l0.zero_()
        h, _ = rnn(x)
        out = torch.tanh(h @ who.T + bo)
out.numpy().astype("<f4").tofile(os.path.join(folder, "out.bin"))
