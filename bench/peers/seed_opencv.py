"""The trained seed net in OpenCV's DNN module, reading Cortado's deploy prototxt and
.caffemodel: the inference peer in bench/run.sh perf. Prints one JSON object.

  seed_opencv.py DEPLOY.prototxt WEIGHTS.caffemodel THREADS BATCH SECONDS
"""
import json, sys, time

import cv2
import numpy as np

deploy, weights, threads, batch, seconds = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5])
cv2.setNumThreads(threads)
net = cv2.dnn.readNetFromCaffe(deploy, weights)
net.setPreferableBackend(cv2.dnn.DNN_BACKEND_OPENCV)
net.setPreferableTarget(cv2.dnn.DNN_TARGET_CPU)
x = np.random.RandomState(1).rand(batch, 1, 28, 28).astype(np.float32)
times = []
for _ in range(20):
    net.setInput(x)
    net.forward()
start = time.perf_counter()
while time.perf_counter() - start < seconds:
    t0 = time.perf_counter()
    net.setInput(x)
    net.forward()
    times.append(time.perf_counter() - t0)
median = sorted(times)[len(times) // 2]
print(json.dumps({"latency_ms": median * 1e3, "images_per_s": batch / median, "opencv": cv2.__version__}))
