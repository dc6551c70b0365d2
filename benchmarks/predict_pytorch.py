#!/usr/bin/env python3
"""What a PyTorch user writes to predict every galaxy of a catalog of JPEG cutouts: the peer of
`sfnet predict` and `wu_boada predict` in benchmarks/compare_predict.py.

A torch.utils.data.DataLoader with worker processes decodes the cutouts (torchvision.io), resizes
them to the model's size where they differ (antialiased bilinear), centre-crops, scales to [0, 1]
and normalises with the mean and std stored in the galnet model file; the model (torchvision
ResNet-18 + ReLU + top-k + Linear for SFNet, ResNet-34 + fastai's head for Wu & Boada) loads
galnet's safetensors (the same key names) and runs channels-last under torch.inference_mode; the
predictions go to a CSV of id and TARGET_pred per target, as galnet names them.

  predict_pytorch.py --model sfnet|wu_boada --weights model.safetensors --catalog galaxies.csv
                     --images DIR --output predictions.csv [--batch-size 64] [--workers 2] [--threads 2]

Prints one JSON line: rows, seconds (from opening the catalog to the closed CSV; the imports
before), the device's threads.
"""
import argparse
import csv
import json
import os
import sys
import time

import torch
import torchvision
from safetensors import safe_open
from torch import nn
from torchvision.io import decode_jpeg, read_file
from torchvision.transforms.v2 import functional as F


class SFNet(nn.Module):
    """Wu (2025) ResNet18TopK, torchvision names (conv1, layer1…, fc)."""

    def __init__(self, k, outputs):
        super().__init__()
        r = torchvision.models.resnet18(weights=None)
        for name in ("conv1", "bn1", "relu", "maxpool", "layer1", "layer2", "layer3", "layer4", "avgpool"):
            setattr(self, name, getattr(r, name))
        self.k = k
        self.fc = nn.Linear(512, outputs)

    def forward(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        f = torch.relu(torch.flatten(self.avgpool(x), 1))
        v, i = f.topk(self.k, dim=1)
        return self.fc(torch.zeros_like(f).scatter(1, i, v))


class ConcatPool(nn.Module):
    def forward(self, x):
        return torch.cat([nn.functional.adaptive_max_pool2d(x, 1), nn.functional.adaptive_avg_pool2d(x, 1)], 1)


class WuBoada(nn.Module):
    """ResNet-34 body (torchvision names) + fastai's head (head.0 … head.8)."""

    def __init__(self, outputs):
        super().__init__()
        r = torchvision.models.resnet34(weights=None)
        for name in ("conv1", "bn1", "relu", "maxpool", "layer1", "layer2", "layer3", "layer4"):
            setattr(self, name, getattr(r, name))
        self.head = nn.Sequential(ConcatPool(), nn.Flatten(), nn.BatchNorm1d(1024), nn.Dropout(0.25),
                                  nn.Linear(1024, 512), nn.ReLU(), nn.BatchNorm1d(512), nn.Dropout(0.5),
                                  nn.Linear(512, outputs))

    def forward(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        return self.head(self.layer4(self.layer3(self.layer2(self.layer1(x)))))


class Cutouts(torch.utils.data.Dataset):
    def __init__(self, ids, folder, size, crop, mean, std):
        self.ids, self.folder, self.size, self.crop = ids, folder, size, crop
        self.mean, self.std = mean.view(3, 1, 1), std.view(3, 1, 1)

    def __len__(self):
        return len(self.ids)

    def __getitem__(self, i):
        img = decode_jpeg(read_file(os.path.join(self.folder, self.ids[i] + ".jpg")))
        if self.size and (img.shape[-1] != self.size or img.shape[-2] != self.size):
            img = F.resize(img, [self.size, self.size], antialias=True)
        if self.crop:
            img = F.center_crop(img, [self.crop, self.crop])
        return (img.float() / 255 - self.mean) / self.std


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model", choices=["sfnet", "wu_boada"], required=True)
    ap.add_argument("--weights", required=True)
    ap.add_argument("--catalog", required=True)
    ap.add_argument("--images", required=True)
    ap.add_argument("--output", required=True)
    ap.add_argument("--batch-size", type=int, default=64)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--threads", type=int, default=2)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    start = time.perf_counter()

    with safe_open(a.weights, "pt") as f:
        meta = f.metadata()
        state = {k: f.get_tensor(k) for k in f.keys()}
    targets = meta["galnet.targets"].split(",")
    size = int(meta["galnet.size"])  # 0: the cutouts' own size
    crop = int(meta["galnet.input"])  # the side the network sees: the paper's centre crop
    mean, std = state.pop("normalization.mean"), state.pop("normalization.std")
    if a.model == "sfnet":
        model = SFNet(int(meta["galnet.k"]), len(targets))
    else:
        model = WuBoada(len(targets))
    model.load_state_dict(state, strict=False)  # galnet's files have no num_batches_tracked
    model = model.eval().to(memory_format=torch.channels_last)

    with open(a.catalog, newline="") as f:
        rows = list(csv.DictReader(f))
    id_col = next(iter(rows[0]))
    ids = [r[id_col] for r in rows]
    loader = torch.utils.data.DataLoader(Cutouts(ids, a.images, size, crop, mean, std), batch_size=a.batch_size,
                                         num_workers=a.workers, persistent_workers=False)
    out = []
    with torch.inference_mode():
        for x in loader:
            out.append(model(x.contiguous(memory_format=torch.channels_last)))
    y = torch.cat(out).numpy()
    with open(a.output, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow([id_col] + [t + "_pred" for t in targets])
        for i, row in zip(ids, y):
            w.writerow([i] + [f"{v:.9g}" for v in row])
    print(json.dumps({"rows": len(ids), "seconds": time.perf_counter() - start, "threads": a.threads}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
