"""Writes a PyTorch CNN as ONNX with torch.onnx.export, with an input and PyTorch's own output.

Usage: torch_onnx_export.py OUT_DIR OPSET VARIANT. VARIANT "residual" uses x.view(x.size(0), -1)
(a Shape/Gather/Unsqueeze/Concat subgraph), a BatchNorm with running statistics, a dilated grouped
convolution, PReLU, a residual add, a padded average pooling that counts its padding, a transposed
convolution and a concatenation; "ceil" uses ceil-mode pooling and torch.flatten. The files are
model.onnx, input.bin and output.bin (float32, little-endian, batch of 2).
"""
import sys

import numpy as np
import torch
import torch.nn as nn

out, opset, variant = sys.argv[1], int(sys.argv[2]), sys.argv[3]
torch.manual_seed(0)


class Residual(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 8, 3, padding=1)
        self.bn1 = nn.BatchNorm2d(8)
        self.pool1 = nn.MaxPool2d(2)
        self.conv2 = nn.Conv2d(8, 8, 3, padding=2, dilation=2, groups=2)
        self.prelu = nn.PReLU(8)
        self.conv3 = nn.Conv2d(8, 8, 1)
        self.avg = nn.AvgPool2d(3, stride=2, padding=1)
        self.up = nn.ConvTranspose2d(8, 4, 2, stride=2)
        self.leaky = nn.LeakyReLU(0.2)
        self.fc1 = nn.Linear(8 * 8 * 6, 32)
        self.drop = nn.Dropout(0.5)
        self.fc2 = nn.Linear(32, 5)

    def forward(self, x):
        x = self.pool1(torch.relu(self.bn1(self.conv1(x))))
        x = self.prelu(self.conv2(x))
        x = x + self.conv3(x)
        x = self.up(self.avg(x))
        x = self.leaky(torch.cat([x, torch.sigmoid(x)], 1))
        x = self.drop(torch.tanh(self.fc1(x.view(x.size(0), -1))))
        return torch.softmax(self.fc2(x), dim=1)


class Ceil(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 6, 3, stride=2)
        self.pool = nn.MaxPool2d(3, stride=2, ceil_mode=True)
        self.elu = nn.ELU(0.5)
        self.fc = nn.Linear(6 * 3 * 3, 4)

    def forward(self, x):
        return self.fc(torch.flatten(self.elu(self.pool(self.conv(x))), 1))


model = Residual() if variant == "residual" else Ceil()
with torch.no_grad():
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.running_mean.uniform_(-0.5, 0.5)
            m.running_var.uniform_(0.5, 2.0)
            m.weight.uniform_(0.5, 1.5)
            m.bias.uniform_(-0.5, 0.5)
        if isinstance(m, nn.PReLU):
            m.weight.uniform_(0.05, 0.5)
model.eval()
x = torch.rand(2, 3, 15, 13) * 2 - 1
with torch.no_grad():
    y = model(x)
torch.onnx.export(model, x, f"{out}/model.onnx", opset_version=opset, input_names=["input"], output_names=["output"],
                  dynamic_axes={"input": {0: "batch"}, "output": {0: "batch"}})
x.numpy().astype("<f4").tofile(f"{out}/input.bin")
y.numpy().astype("<f4").tofile(f"{out}/output.bin")
print(list(y.shape))
