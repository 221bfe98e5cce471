"""Runs a Caffe deploy net with OpenCV's DNN module (an independent Caffe reader).

usage: opencv_forward.py DEPLOY.prototxt WEIGHTS.caffemodel IMAGES.f32 N C H W OUT.f32
Reads N images of C x H x W float32 values, writes the net's N x K output as float32.
"""
import sys

import cv2
import numpy as np

deploy, weights, images_path, n, c, h, w, out_path = sys.argv[1:]
n, c, h, w = int(n), int(c), int(h), int(w)
net = cv2.dnn.readNetFromCaffe(deploy, weights)
net.setPreferableBackend(cv2.dnn.DNN_BACKEND_OPENCV)
images = np.fromfile(images_path, dtype=np.float32).reshape(n, c, h, w)
net.setInput(images)
output = net.forward()
output.astype(np.float32).reshape(n, -1).tofile(out_path)
print(cv2.__version__, output.shape)
