"""Cortado's GPU check's peer: the same four training rows in PyTorch with CUDA.

The nets match bench/Cortado.GpuCheck's (the seed net at stride 2 on 28x28, CIFAR-10 quick,
Caffe's LeNet), with SGD and momentum 0.9, fed from one fixed random batch on the device, as the
Cortado side is. Prints one JSON object: the torch version and images/s per row.

  torch_cuda.py [--quick]     --quick: batches divided by 16 and 1 s per row
"""
import json, sys, time

import torch
from torch import nn


def seed():
    return nn.Sequential(nn.Conv2d(1, 32, 3), nn.ReLU(), nn.Conv2d(32, 32, 3), nn.ReLU(), nn.MaxPool2d(2, 2),
                         nn.Dropout(0.25), nn.Flatten(), nn.Linear(32 * 12 * 12, 128), nn.ReLU(), nn.Dropout(0.5),
                         nn.Linear(128, 10))


def cifar_quick():
    return nn.Sequential(nn.Conv2d(3, 32, 5, padding=2), nn.MaxPool2d(3, 2, ceil_mode=True), nn.ReLU(),
                         nn.Conv2d(32, 32, 5, padding=2), nn.ReLU(), nn.AvgPool2d(3, 2, ceil_mode=True),
                         nn.Conv2d(32, 64, 5, padding=2), nn.ReLU(), nn.AvgPool2d(3, 2, ceil_mode=True),
                         nn.Flatten(), nn.Linear(64 * 4 * 4, 64), nn.Linear(64, 10))


def lenet():
    return nn.Sequential(nn.Conv2d(1, 20, 5), nn.MaxPool2d(2, 2), nn.Conv2d(20, 50, 5), nn.MaxPool2d(2, 2),
                         nn.Flatten(), nn.Linear(50 * 4 * 4, 500), nn.ReLU(), nn.Linear(500, 10))


def images_per_second(model, shape, lr, decay, seconds):
    device = torch.device("cuda")
    torch.manual_seed(1)
    model = model.to(device)
    optimizer = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9, weight_decay=decay)
    loss_fn = nn.CrossEntropyLoss()
    x = torch.rand(shape, device=device) * 2 - 1
    y = torch.randint(0, 10, (shape[0],), device=device)

    def step():
        optimizer.zero_grad(set_to_none=True)
        loss = loss_fn(model(x), y)
        loss.backward()
        optimizer.step()
        return loss

    start = time.perf_counter()
    while time.perf_counter() - start < min(2.0, seconds):
        step().item()
    torch.cuda.synchronize()
    steps, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        # .item() reads the loss each step, as Caffe's solver (and Cortado's) does.
        step().item()
        steps += 1
    torch.cuda.synchronize()
    return steps * shape[0] / (time.perf_counter() - start)


def main():
    quick = "--quick" in sys.argv
    scale, seconds = (16, 1.0) if quick else (1, 5.0)
    torch.backends.cudnn.benchmark = True
    rows = {
        "seed128": images_per_second(seed(), (128 // scale, 1, 28, 28), 0.01, 0.0005, seconds),
        "seed1024": images_per_second(seed(), (1024 // scale, 1, 28, 28), 0.01, 0.0005, seconds),
        "cifar100": images_per_second(cifar_quick(), (100 // scale, 3, 32, 32), 0.001, 0.004, seconds),
        "lenet64": images_per_second(lenet(), (64 // scale, 1, 28, 28), 0.01, 0.0005, seconds),
    }
    print(json.dumps({"torch": f"{torch.__version__} ({torch.cuda.get_device_name(0)})", **rows}))


if __name__ == "__main__":
    main()
