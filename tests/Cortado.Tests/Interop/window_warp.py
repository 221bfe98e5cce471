"""Writes a test image and R-CNN window warps computed with OpenCV, the library Caffe's WindowData uses.

Usage: window_warp.py DIR CROP CONTEXT_PAD SQUARE X1 Y1 X2 Y2 [X1 Y1 X2 Y2 ...]. Writes DIR/image.png
(40 x 30, random colour, seed 5) and for each window DIR/warp_K_M.bin (M = 0 plain, 1 mirrored):
crop x crop x 3 float32 BGR planes (channels first), zero where the warped window does not reach;
it prints "K M top left height width", where the warped window lies in the crop.
The geometry is Caffe's (window_data_layer.cpp); the resize and flip are OpenCV's.
"""
import math
import os
import sys

import cv2
import numpy as np

folder = sys.argv[1]
crop, pad, square = int(sys.argv[2]), int(sys.argv[3]), sys.argv[4] == "1"
boxes = [tuple(int(v) for v in sys.argv[i:i + 4]) for i in range(5, len(sys.argv), 4)]
image = np.random.default_rng(5).integers(0, 256, size=(30, 40, 3), dtype=np.uint8)
cv2.imwrite(os.path.join(folder, "image.png"), image)


def c_round(v):
    return int(math.floor(abs(v) + 0.5)) * (1 if v >= 0 else -1)


for k, (x1, y1, x2, y2) in enumerate(boxes):
    for mirror in (0, 1):
        w, h, pw, ph = crop, crop, 0, 0
        a1, b1, a2, b2 = x1, y1, x2, y2
        if pad > 0 or square:
            scale = np.float32(crop) / np.float32(crop - 2 * pad)
            hh, hw = np.float32(b2 - b1 + 1) / 2, np.float32(a2 - a1 + 1) / 2
            cx, cy = np.float32(a1) + hw, np.float32(b1) + hh
            if square:
                hh = hw = max(hh, hw)
            a1, a2 = c_round(cx - hw * scale), c_round(cx + hw * scale)
            b1, b2 = c_round(cy - hh * scale), c_round(cy + hh * scale)
            uh, uw = b2 - b1 + 1, a2 - a1 + 1
            px1, py1 = max(0, -a1), max(0, -b1)
            px2, py2 = max(0, a2 - image.shape[1] + 1), max(0, b2 - image.shape[0] + 1)
            a1, a2, b1, b2 = a1 + px1, a2 - px2, b1 + py1, b2 - py2
            sx, sy = np.float32(crop) / np.float32(uw), np.float32(crop) / np.float32(uh)
            w, h = c_round((a2 - a1 + 1) * sx), c_round((b2 - b1 + 1) * sy)
            px1, px2, py1 = c_round(px1 * sx), c_round(px2 * sx), c_round(py1 * sy)
            ph, pw = py1, (px2 if mirror else px1)
            h = min(h, crop - ph)
            w = min(w, crop - pw)
        region = cv2.resize(image[b1:b2 + 1, a1:a2 + 1], (w, h), interpolation=cv2.INTER_LINEAR)
        if mirror:
            region = cv2.flip(region, 1)
        out = np.zeros((3, crop, crop), dtype=np.float32)
        out[:, ph:ph + h, pw:pw + w] = region.transpose(2, 0, 1)
        out.astype("<f4").tofile(os.path.join(folder, f"warp_{k}_{mirror}.bin"))
        print(k, mirror, ph, pw, h, w)
