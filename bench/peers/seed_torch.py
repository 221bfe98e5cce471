"""The seed net in PyTorch on the CPU: Cortado's peer in bench/run.sh perf.

The same layers, shapes, initialisation (Caffe's xavier: uniform, +-sqrt(3 / fan_in)) and
solver (SGD, momentum 0.9) as the Cortado side, fed from Fashion-MNIST tensors scaled by 1/256
as Caffe's transform_param { scale: 0.00390625 } does. Prints one JSON object.

  seed_torch.py train  STRIDE THREADS SECONDS       training images/s (data indexing included)
  seed_torch.py infer  STRIDE THREADS BATCH SECONDS eval()/no_grad() latency and images/s
  seed_torch.py reach  STRIDE THREADS TARGET MAX_ITER INTERVAL   seconds of training to a test accuracy
  seed_torch.py blas                                the BLAS library torch's products run on
"""
import ctypes, gzip, json, math, os, sys, time

import numpy as np
import torch
from torch import nn

DATA = "/usr/share/datasets/fashion-mnist"


def load(kind):
    with gzip.open(f"{DATA}/{kind}-images-idx3-ubyte.gz") as f:
        images = np.frombuffer(f.read(), np.uint8, offset=16).reshape(-1, 1, 28, 28)
    with gzip.open(f"{DATA}/{kind}-labels-idx1-ubyte.gz") as f:
        labels = np.frombuffer(f.read(), np.uint8, offset=8)
    return torch.from_numpy(images.copy()), torch.from_numpy(labels.astype(np.int64))


class Seed(nn.Module):
    def __init__(self, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 32, 3)
        self.conv2 = nn.Conv2d(32, 32, 3)
        self.pool = nn.MaxPool2d(2, stride=stride)
        self.drop1 = nn.Dropout(0.25)
        side = (24 - 2) // stride + 1
        self.fc1 = nn.Linear(32 * side * side, 128)
        self.drop2 = nn.Dropout(0.5)
        self.fc2 = nn.Linear(128, 10)
        for layer in (self.conv1, self.conv2, self.fc1, self.fc2):
            fan_in = layer.weight[0].numel()
            bound = math.sqrt(3.0 / fan_in)
            nn.init.uniform_(layer.weight, -bound, bound)
            nn.init.zeros_(layer.bias)

    def forward(self, x):
        x = torch.relu(self.conv1(x))
        x = torch.relu(self.conv2(x))
        x = self.drop1(self.pool(x))
        x = self.drop2(torch.relu(self.fc1(torch.flatten(x, 1))))
        return self.fc2(x)


def batches(images, labels, batch):
    start = 0
    while True:
        if start + batch > len(images):
            start = 0
        yield images[start:start + batch].float() * 0.00390625, labels[start:start + batch]
        start += batch


def train_throughput(stride, threads, seconds):
    torch.set_num_threads(threads)
    torch.manual_seed(1)
    images, labels = load("train")
    model = Seed(stride)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    loss_fn = nn.CrossEntropyLoss()
    feed = batches(images, labels, 128)

    def step():
        x, y = next(feed)
        optimizer.zero_grad()
        loss_fn(model(x), y).backward()
        optimizer.step()

    for _ in range(5):
        step()
    count, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        step()
        count += 1
    return {"images_per_s": count * 128 / (time.perf_counter() - start)}


def infer(stride, threads, batch, seconds):
    torch.set_num_threads(threads)
    model = Seed(stride).eval()
    x = torch.rand(batch, 1, 28, 28)
    times = []
    with torch.no_grad():
        for _ in range(20):
            model(x)
        start = time.perf_counter()
        while time.perf_counter() - start < seconds:
            t0 = time.perf_counter()
            model(x)
            times.append(time.perf_counter() - t0)
    median = sorted(times)[len(times) // 2]
    return {"latency_ms": median * 1e3, "images_per_s": batch / median}


def reach(stride, threads, target, max_iter, interval):
    torch.set_num_threads(threads)
    torch.manual_seed(1)
    images, labels = load("train")
    test_images, test_labels = load("t10k")
    test_x = test_images.float() * 0.00390625
    model = Seed(stride)
    # Caffe's solver: SGD, momentum 0.9, weight decay 5e-4, "poly" lr 0.01 * (1 - iter / max_iter) ^ 0.5.
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, weight_decay=0.0005)
    schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda it: (1 - it / max_iter) ** 0.5)
    loss_fn = nn.CrossEntropyLoss()
    feed = batches(images, labels, 128)
    training, accuracy = 0.0, 0.0
    for it in range(1, max_iter + 1):
        start = time.perf_counter()
        model.train()
        x, y = next(feed)
        optimizer.zero_grad()
        loss_fn(model(x), y).backward()
        optimizer.step()
        schedule.step()
        training += time.perf_counter() - start
        if it % interval == 0:
            model.eval()
            with torch.no_grad():
                accuracy = float((model(test_x).argmax(1) == test_labels).float().mean())
            if accuracy >= target:
                return {"seconds": training, "iterations": it, "accuracy": accuracy}
    return {"seconds": None, "iterations": max_iter, "accuracy": accuracy}


def blas():
    """Debian's torch calls whatever libblas.so.3 the alternatives point to: name the file really loaded."""
    torch.mm(torch.ones(256, 256), torch.ones(256, 256))
    with open("/proc/self/maps") as maps:
        files = sorted({os.path.realpath(line.split()[-1]) for line in maps
                        if "blas" in line.split()[-1].rsplit("/", 1)[-1].lower()})
    core = None
    for path in files:
        if "openblas" in path:
            library = ctypes.CDLL(path)
            library.openblas_get_corename.restype = ctypes.c_char_p
            core = library.openblas_get_corename().decode()
    return {"libraries": files, "openblas_core": core}


if __name__ == "__main__":
    mode, args = sys.argv[1], [float(a) if "." in a else int(a) for a in sys.argv[2:]]
    result = {"train": train_throughput, "infer": infer, "reach": reach, "blas": blas}[mode](*args)
    result["torch"] = torch.__version__
    print(json.dumps(result))
