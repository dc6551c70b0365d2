#!/usr/bin/env python3
"""galnet's convolutions against PyTorch's (oneDNN) shape by shape, in one invocation.

Runs bench_kernels' BM_Conv_* cases (every distinct convolution of SpinCNN and the ResNet-18
body at the papers' batches: forward, data gradient, weight gradient; JSON output), then the
same shapes and passes in PyTorch with its fastest CPU settings (channels-last tensors, the
given threads, OMP_WAIT_POLICY=passive; forward under no_grad, the gradients through
aten.convolution_backward with one output each, as autograd calls it), and prints one table
of milliseconds per call with galnet's speed relative to PyTorch's (> 1: galnet faster).

  tools/.venv/bin/python benchmarks/compare_convs.py [--bench build/bin/bench_kernels]
                                                     [--threads 2] [--min-time 1]
"""
import argparse
import json
import os
import re
import subprocess
import sys
import tempfile

os.environ.setdefault("OMP_WAIT_POLICY", "passive")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from compare_pytorch import ROOT, rate  # noqa: E402  (the same timing rule: median after warm-up)

PASSES = {"Forward": "forward", "BackwardData": "data gradient", "BackwardWeight": "weight gradient"}
NAME = re.compile(r"BM_Conv_(\w+?)(_Im2col)?/N:(\d+)/C:(\d+)/O:(\d+)/HW:(\d+)/K:(\d+)/S:(\d+)/P:(\d+)/")


def run_galnet(bench, min_time):
    """{(pass, shape): ms} for galnet's default path, and {(pass, shape): ms} with im2col forced."""
    with tempfile.NamedTemporaryFile(suffix=".json") as out:
        cmd = [bench, "--benchmark_filter=BM_Conv_", f"--benchmark_min_time={min_time}",
               f"--benchmark_out={out.name}", "--benchmark_out_format=json"]
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
        data = json.load(open(out.name))
    default, im2col = {}, {}
    for b in data["benchmarks"]:
        m = NAME.match(b["name"])
        if not m:
            continue
        which, forced, shape = m.group(1), m.group(2), tuple(int(v) for v in m.groups()[2:])
        ms = b["real_time"] if b["time_unit"] == "ms" else b["real_time"] / 1e6
        (im2col if forced else default)[(which, shape)] = ms
    return default, im2col


def run_torch(cases, threads, min_time):
    import torch
    torch.set_num_threads(threads)
    torch.set_num_interop_threads(threads)
    cl = torch.channels_last
    got = {}
    for which, (n, c, o, hw, k, s, p) in cases:
        out = (hw + 2 * p - k) // s + 1
        x = torch.rand(n, c, hw, hw).contiguous(memory_format=cl)
        w = (torch.rand(o, c, k, k) * 0.01).contiguous(memory_format=cl)
        dy = torch.rand(n, o, out, out).contiguous(memory_format=cl)
        conv_backward = torch.ops.aten.convolution_backward

        def call():
            if which == "Forward":
                with torch.no_grad():
                    torch.nn.functional.conv2d(x, w, None, s, p)
            else:
                mask = [which == "BackwardData", which == "BackwardWeight", False]
                conv_backward(dy, x, w, None, [s, s], [p, p], [1, 1], False, [0, 0], 1, mask)
        got[(which, (n, c, o, hw, k, s, p))] = 1e3 / rate(call, 1, min_time)
    return got, torch.__version__


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--bench", default=os.path.join(ROOT, "build", "bin", "bench_kernels"))
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--min-time", type=float, default=1.0, help="seconds per case and framework")
    a = ap.parse_args()
    galnet, im2col = run_galnet(a.bench, a.min_time)
    torch_ms, version = run_torch(list(galnet), a.threads, a.min_time)
    print(f"# galnet vs PyTorch {version} per convolution; {a.threads} threads, channels-last, "
          f"OMP_WAIT_POLICY={os.environ['OMP_WAIT_POLICY']}; ms per call (median)\n")
    print("| N, C→O, H=W, k/s/p | pass | galnet | galnet im2col | PyTorch | PyTorch ÷ galnet |")
    print("|---|---|---|---|---|---|")
    shapes = list(dict.fromkeys(shape for _, shape in galnet))  # bench_kernels' order (conv_shapes.hpp)
    for shape in shapes:
        for which in PASSES:
            if (which, shape) not in galnet:
                continue
            n, c, o, hw, k, s, p = shape
            g, t = galnet[(which, shape)], torch_ms[(which, shape)]
            forced = im2col.get((which, shape))
            print(f"| {n}, {c}→{o}, {hw}, {k}/{s}/{p} | {PASSES[which]} | {g:.1f} | "
                  f"{f'{forced:.1f}' if forced else '—'} | {t:.1f} | **{t / g:.2f}×** |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
