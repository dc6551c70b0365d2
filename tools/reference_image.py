#!/usr/bin/env python3
"""Reference numbers for tests/unit/test_image.cpp and tests/unit/test_augment.cpp.

Runs the real libraries and prints the values pasted into the C++ tests:
  - torch.nn.functional.interpolate (align_corners=False) for modes nearest, bilinear, bicubic
    (a = -0.75) and area, on an 8x8 -> 5x5 and a 5x5 -> 8x8 single-channel image;
  - torchvision.transforms.functional.center_crop offsets (Python's round: half to even);
  - scipy.ndimage.affine_transform(order=1) with modes nearest / reflect / constant, which is
    what Keras' ImageDataGenerator (apply_affine_transform) calls, for galnet's affine().
Rerun with
    tools/.venv/bin/python tools/reference_image.py
Inputs (mirrored in the C++ tests): pixel k (row-major) of an n-pixel image is
    ((k * 37) % 64) / 8.0        (exact in float)
"""
import math

import numpy as np
import scipy.ndimage as ndi
import torch
import torch.nn.functional as F
import torchvision.transforms.functional as TF


def pattern(h, w):
    return np.array([((k * 37) % 64) / 8.0 for k in range(h * w)], dtype=np.float32).reshape(h, w)


def show(name, values, per_line=6):
    vals = [f"{v:.9g}f" for v in np.asarray(values, dtype=np.float64).ravel()]
    print(f"// {name}")
    print(f"const std::vector<float> {name} = {{")
    for i in range(0, len(vals), per_line):
        print("    " + ", ".join(vals[i:i + per_line]) + ",")
    print("};")


def interpolate():
    for (h, out) in [(8, 5), (5, 8)]:
        x = torch.from_numpy(pattern(h, h))[None, None]
        for mode in ["nearest", "bilinear", "bicubic", "area"]:
            kw = {} if mode in ("nearest", "area") else {"align_corners": False}
            y = F.interpolate(x, size=(out, out), mode=mode, **kw)
            show(f"k_{mode}_{h}to{out}", y.numpy())


def center_crop():
    print("// torchvision center_crop offsets: (in_h, in_w, out_h, out_w) -> (top, left)")
    for (ih, iw, oh, ow) in [(160, 160, 144, 144), (7, 9, 4, 4), (9, 6, 4, 3), (10, 5, 7, 2), (8, 8, 5, 5)]:
        idx = torch.arange(ih * iw, dtype=torch.float32).reshape(1, ih, iw)
        c = TF.center_crop(idx, [oh, ow])
        first = int(c[0, 0, 0].item())
        print(f"{{{ih}, {iw}, {oh}, {ow}, {first // iw}, {first % iw}}},")


def affine():
    # galnet::data::affine(angle, zoom, shift_x, shift_y) maps output pixel (x, y) to input
    #   x_in = cx + ( cos*(x-cx-tx) - sin*(y-cy-ty)) / zoom
    #   y_in = cy + ( sin*(x-cx-tx) + cos*(y-cy-ty)) / zoom
    # with cx = (w-1)/2, cy = (h-1)/2, tx = shift_x*w, ty = shift_y*h; in scipy's (row, col) order:
    h, w = 5, 6
    angle, zoom, sx, sy = 30.0, 0.8, 0.1, -0.2
    t = math.radians(angle)
    c, s = math.cos(t), math.sin(t)
    cy, cx = (h - 1) / 2, (w - 1) / 2
    ty, tx = sy * h, sx * w
    m = np.array([[c, s], [-s, c]]) / zoom  # (row, col) <- (row, col)
    offset = np.array([cy, cx]) - m @ np.array([cy + ty, cx + tx])
    x = pattern(h, w).astype(np.float64)
    for mode in ["nearest", "reflect", "constant"]:
        y = ndi.affine_transform(x, m, offset=offset, order=1, mode=mode, cval=-1.0)
        show(f"k_affine_{mode}", y)


if __name__ == "__main__":
    torch.set_printoptions(precision=10)
    interpolate()
    center_crop()
    affine()
