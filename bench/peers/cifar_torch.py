"""Caffe's CIFAR-10 quick net in PyTorch on the CPU: Cortado's peer for bench/run.sh perf's wide row.

The same layers and shapes as cifar10_quick_train_test.prototxt (pooling rounded up as Caffe rounds
it, ceil_mode), the same solver (SGD 0.001, momentum 0.9, weight decay 0.004), batch 100 of fixed
random pixels and labels as on the Cortado side. Prints one JSON object.

  cifar_torch.py train THREADS SECONDS    training images/s
"""
import json, sys, time

import torch
from torch import nn


class Cifar10Quick(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 32, 5, padding=2)
        self.conv2 = nn.Conv2d(32, 32, 5, padding=2)
        self.conv3 = nn.Conv2d(32, 64, 5, padding=2)
        self.ip1 = nn.Linear(64 * 4 * 4, 64)
        self.ip2 = nn.Linear(64, 10)

    def forward(self, x):
        x = torch.relu(nn.functional.max_pool2d(self.conv1(x), 3, 2, ceil_mode=True))
        x = nn.functional.avg_pool2d(torch.relu(self.conv2(x)), 3, 2, ceil_mode=True)
        x = nn.functional.avg_pool2d(torch.relu(self.conv3(x)), 3, 2, ceil_mode=True)
        return self.ip2(self.ip1(torch.flatten(x, 1)))


def train(threads, seconds):
    torch.set_num_threads(threads)
    torch.manual_seed(1)
    model = Cifar10Quick()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.001, momentum=0.9, weight_decay=0.004)
    loss_fn = nn.CrossEntropyLoss()
    x, y = torch.rand(100, 3, 32, 32) * 2 - 1, torch.randint(0, 10, (100,))

    def step():
        optimizer.zero_grad()
        loss_fn(model(x), y).backward()
        optimizer.step()

    for _ in range(5):
        step()
    count, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        step()
        count += 1
    return {"images_per_s": count * 100 / (time.perf_counter() - start), "torch": torch.__version__}


if __name__ == "__main__":
    print(json.dumps({"train": train}[sys.argv[1]](int(sys.argv[2]), float(sys.argv[3]))))
