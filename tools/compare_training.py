#!/usr/bin/env python3
"""Trains Wu & Boada's network from scratch in galnet and in PyTorch on the same split of the same
galaxies with the same recipe, and reports both on the same held-out galaxies.

The recipe is wu_boada's from-scratch default: ResNet-34 + fastai head, AdamW (weight decay 0.01
on every parameter), fastai's one-cycle to --lr over --epochs, RMSE loss, dihedral + zoom 1-1.1
augmentation, ImageNet normalisation, the output bias at the training mean and its weights scaled
by the training targets' standard deviation. galnet runs first (`wu_boada train`); its validation
galaxies (predictions.csv) are the held-out set PyTorch is scored on, and PyTorch trains on the
rest, once per --torch-seeds (its initialisation, batch order and augmentation; the split
stays), so the spread between PyTorch runs shows what a difference between the two means.
Usage (after scripts/build.sh and tools/setup_python.sh):

  tools/.venv/bin/python tools/compare_training.py [--data data/sdss-metallicity-sample]
      [--epochs 30] [--batch-size 32] [--lr 3e-3] [--seed 0] [--torch-seeds 1] [--out compare-run]
      [--reuse-galnet]

Prints one line per run (RMSE, RMSE / sd, Pearson, seconds) and writes compare.json.
--reuse-galnet takes galnet's run from an earlier call with the same --out.
"""
import argparse
import csv
import json
import math
import os
import subprocess
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from export_torch import WuBoadaModel  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
IMAGENET_MEAN = np.array([0.485, 0.456, 0.406], np.float32)
IMAGENET_STD = np.array([0.229, 0.224, 0.225], np.float32)


def metrics(truth, pred):
    truth, pred = np.asarray(truth, np.float64), np.asarray(pred, np.float64)
    rmse = float(np.sqrt(np.mean((pred - truth) ** 2)))
    sd = float(np.std(truth))
    return {"n": len(truth), "rmse": rmse, "sd": sd, "rmse_over_sd": rmse / sd,
            "pearson": float(np.corrcoef(truth, pred)[0, 1])}


def run_galnet(args):
    out = os.path.join(args.out, "galnet")
    if args.reuse_galnet:
        with open(os.path.join(args.out, "compare.json")) as f:
            g = json.load(f)["galnet"]
        with open(os.path.join(out, "predictions.csv")) as f:
            return [r["objID"] for r in csv.DictReader(f)], g
    cmd = [args.galnet, "train", "--data", args.data, "--epochs", str(args.epochs), "--batch-size",
           str(args.batch_size), "--lr", str(args.lr), "--seed", str(args.seed), "--threads", str(args.threads),
           "--optimizer", "adamw", "--schedule", "one-cycle", "--wd", "0.01", "--no-progress", "--overwrite",
           "--out", out]
    print("$", " ".join(cmd), flush=True)
    t0 = time.time()
    subprocess.run(cmd, check=True)
    seconds = time.time() - t0
    with open(os.path.join(out, "predictions.csv")) as f:
        rows = list(csv.DictReader(f))
    ids = [r["objID"] for r in rows]
    m = metrics([float(r[f"{args.target}_true"]) for r in rows], [float(r[f"{args.target}_pred"]) for r in rows])
    m["seconds"] = seconds
    return ids, m


def load_images(folder, ids):
    x = np.stack([np.asarray(Image.open(os.path.join(folder, f"{i}.jpg")).convert("RGB"), np.float32) / 255.0
                  for i in ids])
    x = (x - IMAGENET_MEAN) / IMAGENET_STD
    return torch.from_numpy(x.transpose(0, 3, 1, 2).copy())


def augment(x, g):
    """fastai 0.7's transforms_top_down as galnet runs them: one of the 8 dihedral views, then a
    zoom by U(1, 1.1) about the centre, reflecting at the borders."""
    out = torch.empty_like(x)
    for i in range(x.shape[0]):
        v = x[i]
        k = int(torch.randint(8, (1,), generator=g))
        if k & 4:
            v = v.transpose(1, 2)
        v = torch.rot90(v, k & 3, (1, 2))
        s = 1.0 + 0.1 * float(torch.rand(1, generator=g))
        theta = torch.tensor([[[1 / s, 0, 0], [0, 1 / s, 0]]], dtype=v.dtype)
        grid = F.affine_grid(theta, (1, *v.shape), align_corners=False)
        out[i] = F.grid_sample(v[None], grid, mode="bilinear", padding_mode="reflection", align_corners=False)[0]
    return out


def one_cycle(step, total, lr_max, pct=0.25, div=25.0, div_final=1e5):
    """fastai's fit_one_cycle: cosine from lr_max/div up to lr_max, then down to lr_max/div_final;
    momentum (Adam's beta1) 0.95 -> 0.85 -> 0.95."""
    def cos(a, b, p):
        return b + (a - b) / 2 * (1 + math.cos(math.pi * p))
    pos, split = step / total, pct
    if pos < split:
        p = pos / split
        return cos(lr_max / div, lr_max, p), cos(0.95, 0.85, p)
    p = (pos - split) / (1 - split)
    return cos(lr_max, lr_max / div_final, p), cos(0.85, 0.95, p)


def run_torch(args, held_out, seed):
    torch.manual_seed(seed)
    torch.set_num_threads(args.threads)
    with open(os.path.join(args.data, "train.csv")) as f:
        rows = list(csv.DictReader(f))
    held = set(held_out)
    train = [r for r in rows if r["objID"] not in held]
    valid = {r["objID"]: r for r in rows if r["objID"] in held}
    valid = [valid[i] for i in held_out]
    images = os.path.join(args.data, "images")
    xt, xv = load_images(images, [r["objID"] for r in train]), load_images(images, [r["objID"] for r in valid])
    yt = torch.tensor([[float(r[args.target])] for r in train])
    yv = [float(r[args.target]) for r in valid]

    model = WuBoadaModel(64, [3, 4, 6, 3], 512, 1)
    for m in model.modules():  # torchvision's body init, fastai's head init (as galnet's models)
        if isinstance(m, torch.nn.Conv2d):
            torch.nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
        elif isinstance(m, torch.nn.Linear):
            torch.nn.init.kaiming_normal_(m.weight)
            torch.nn.init.zeros_(m.bias)
    with torch.no_grad():
        last = model.head[-1]
        last.bias.fill_(float(yt.mean()))
        last.weight.mul_(float(yt.std(unbiased=False)))
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, betas=(0.95, 0.999), eps=1e-8, weight_decay=0.01)
    g = torch.Generator().manual_seed(seed)
    n = xt.shape[0]
    per_epoch = n // args.batch_size if n > args.batch_size else 1
    total, step = args.epochs * per_epoch, 0
    t0 = time.time()
    for epoch in range(args.epochs):
        model.train()
        order = torch.randperm(n, generator=g)
        loss_sum = 0.0
        for b in range(per_epoch):
            idx = order[b * args.batch_size:(b + 1) * args.batch_size]
            lr, mom = one_cycle(step, total, args.lr)
            for group in opt.param_groups:
                group["lr"], group["betas"] = lr, (mom, 0.999)
            loss = torch.sqrt(F.mse_loss(model(augment(xt[idx], g)), yt[idx]))
            opt.zero_grad()
            loss.backward()
            opt.step()
            step += 1
            loss_sum += float(loss)
        print(f"torch epoch {epoch + 1}/{args.epochs}  train loss {loss_sum / per_epoch:.5f}  "
              f"({time.time() - t0:.0f} s)", flush=True)
    model.eval()
    with torch.no_grad():
        pred = torch.cat([model(xv[i:i + 64]) for i in range(0, xv.shape[0], 64)])[:, 0].tolist()
    m = metrics(yv, pred)
    m["seconds"] = time.time() - t0
    return m


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--galnet", default=os.path.join(ROOT, "build", "bin", "wu_boada"))
    ap.add_argument("--data", default=os.path.join(ROOT, "data", "sdss-metallicity-sample"))
    ap.add_argument("--target", default="oh_p50")
    ap.add_argument("--epochs", type=int, default=30)
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--lr", type=float, default=3e-3)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--torch-seeds", type=int, default=1, help="PyTorch runs, seeds --seed, --seed + 1, ...")
    ap.add_argument("--reuse-galnet", action="store_true", help="galnet's run of an earlier call with this --out")
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--out", default=os.path.join(ROOT, "compare-run"))
    args = ap.parse_args()
    if args.epochs < 1 or args.batch_size < 1 or not args.lr > 0 or args.torch_seeds < 1:
        ap.error("--epochs, --batch-size and --torch-seeds must be >= 1 and --lr > 0")
    os.makedirs(args.out, exist_ok=True)
    held_out, g = run_galnet(args)
    runs = [run_torch(args, held_out, args.seed + i) for i in range(args.torch_seeds)]
    report = {"recipe": {"epochs": args.epochs, "batch_size": args.batch_size, "lr": args.lr, "seed": args.seed,
                         "optimizer": "AdamW wd 0.01", "schedule": "one-cycle"}, "galnet": g, "pytorch": runs}
    with open(os.path.join(args.out, "compare.json"), "w") as f:
        json.dump(report, f, indent=1)
    for name, m in [("galnet", g)] + [(f"pytorch seed {args.seed + i}", t) for i, t in enumerate(runs)]:
        print(f"{name:16s} held-out n {m['n']}: RMSE {m['rmse']:.4f} = {m['rmse_over_sd']:.2f} sd (sd {m['sd']:.4f}), "
              f"Pearson {m['pearson']:.3f}, {m['seconds']:.0f} s")


if __name__ == "__main__":
    main()
