#!/usr/bin/env python3
"""galnet against PyTorch + cuDNN on one GPU: the CNNs' train steps and inference, in one run.

Runs galnet's CUDA-event timed model cases (build/bin/bench_cuda, JSON output; math modes 0
exact float32, 1 TF32, 2 bf16 mixed precision), then the same models, batches and steps in the
machine's PyTorch on the same GPU: float32 with TF32 off, TF32, and AMP bf16 with channels-last
(PyTorch's fastest setting), cudnn.benchmark on, timed with CUDA events (median of the
iterations after a warm-up). Also the ten line-EW MLPs over 2^20 galaxies: galnet's fused bf16
kernel against PyTorch's batched matmuls under bf16 autocast. Prints one table of samples/s
with galnet's ratio per mode.

  python3 benchmarks/compare_pytorch_cuda.py [--bench build-gpu/bin/bench_cuda] [--iters 30]

Never run by ctest. tools/gpu/check.sh calls it on a lent GPU machine.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from compare_pytorch import rmse, torch_models  # noqa: E402  the same model definitions as on the CPU

MODES = {0: "exact fp32", 1: "TF32", 2: "bf16"}
CASES = {  # galnet benchmark -> row
    "BM_CudaSpinCNN_TrainStep": "spin train", "BM_CudaSFNet_TrainStep": "sfnet train",
    "BM_CudaWuBoada_TrainStep": "wu train", "BM_CudaSpinCNN_Inference": "spin infer",
    "BM_CudaSFNet_Inference": "sfnet infer", "BM_CudaWuBoada_Inference": "wu infer"}
LINE_EW_ROWS = 1 << 20  # galaxies per call of the line-EW case (BM_CudaLineEW/n:1048576)


def run_galnet(bench):
    with tempfile.NamedTemporaryFile(suffix=".json") as out:
        subprocess.run([bench, "--benchmark_filter=" + "|".join(list(CASES) + [f"BM_CudaLineEW/n:{LINE_EW_ROWS}"]),
                        f"--benchmark_out={out.name}",
                        "--benchmark_out_format=json"], check=True, stdout=subprocess.DEVNULL)
        data = json.load(open(out.name))
    got = {}
    for b in data["benchmarks"]:
        name, _, mode = b["name"].partition("/mode:")
        if name in CASES and "items_per_second" in b:
            got[(CASES[name], int(mode.split("/")[0]))] = b["items_per_second"]
        if name.startswith("BM_CudaLineEW/") and "items_per_second" in b:
            got[("line-EW, ten lines", 2)] = b["items_per_second"]
    return got


def torch_line_ew(timed):
    """All ten line-EW MLPs (12 → 64 → 128 → 64 → 1, SELU) as PyTorch would run them fastest: the
    lines' weights stacked so that each layer is one batched matmul over the ten lines, under
    bf16 autocast. Line predictions per second."""
    import torch
    dev, lines, n = torch.device("cuda"), 10, LINE_EW_ROWS
    sizes = [12, 64, 128, 64, 1]
    w = [torch.randn(lines, a, b, device=dev) * 0.1 for a, b in zip(sizes, sizes[1:])]
    bias = [torch.randn(lines, 1, b, device=dev) * 0.1 for b in sizes[1:]]
    mean, scale = torch.randn(lines, 1, 12, device=dev), torch.rand(lines, 1, 12, device=dev) + 0.5
    x = torch.randn(n, 12, device=dev)

    def forward():
        h = (x.unsqueeze(0) - mean) / scale
        for k in range(4):
            h = torch.baddbmm(bias[k], h, w[k])
            if k < 3:
                h = torch.nn.functional.selu(h)
        return h.squeeze(-1).t()  # [n, 10]
    with torch.inference_mode(), torch.autocast("cuda", dtype=torch.bfloat16):
        return n * lines / timed(forward)


def run_torch(iters):
    import torch
    torch.backends.cudnn.benchmark = True
    SpinCNN, SFNet, wu_boada, _ = torch_models()
    dev = torch.device("cuda")
    cnn = {"spin": (SpinCNN, (32, 3, 80, 80), lambda p: torch.optim.Adam(p, lr=1e-3), torch.nn.functional.mse_loss),
           "sfnet": (SFNet, (64, 3, 144, 144), lambda p: torch.optim.RAdam(p, lr=0.02), rmse),
           "wu": (wu_boada, (128, 3, 128, 128), lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9), rmse)}

    def timed(fn):
        for _ in range(5):
            fn()
        torch.cuda.synchronize()
        times = []
        for _ in range(iters):
            a, b = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
            a.record()
            fn()
            b.record()
            b.synchronize()
            times.append(a.elapsed_time(b) / 1e3)
        return statistics.median(times)

    got = {}
    for name, (make, shape, make_opt, loss_fn) in cnn.items():
        for mode in MODES:
            tf32 = mode == 1
            torch.backends.cuda.matmul.allow_tf32 = tf32
            torch.backends.cudnn.allow_tf32 = tf32
            fmt = torch.channels_last if mode == 2 else torch.contiguous_format
            model = make().to(dev).to(memory_format=fmt)
            x = torch.rand(shape, device=dev).to(memory_format=fmt)
            y = torch.full((shape[0], 1), 0.5, device=dev)
            opt = make_opt(model.parameters())
            amp = torch.autocast("cuda", dtype=torch.bfloat16, enabled=mode == 2)

            def step():
                opt.zero_grad(set_to_none=True)
                with amp:
                    loss = loss_fn(model(x), y)
                loss.backward()
                opt.step()
            model.train()
            got[(f"{name} train", mode)] = shape[0] / timed(step)
            model.eval()
            with torch.inference_mode(), amp:
                got[(f"{name} infer", mode)] = shape[0] / timed(lambda: model(x))
    got[("line-EW, ten lines", 2)] = torch_line_ew(timed)
    return got, torch.__version__, torch.cuda.get_device_name()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--bench", default=os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                                    "build-gpu", "bin", "bench_cuda"))
    ap.add_argument("--iters", type=int, default=30)
    a = ap.parse_args()
    g = run_galnet(a.bench)
    t, version, gpu = run_torch(a.iters)
    print(f"# galnet vs PyTorch {version} + cuDNN on {gpu}; samples/s (line-EW: line predictions/s, "
          f"{LINE_EW_ROWS} galaxies a call; target ≥ 3e9)")
    print("| case | mode | galnet | PyTorch | galnet ÷ PyTorch |")
    print("|---|---|---|---|---|")
    for row in ["spin train", "sfnet train", "wu train", "spin infer", "sfnet infer", "wu infer",
                "line-EW, ten lines"]:
        for mode, label in MODES.items():
            gv, tv = g.get((row, mode)), t.get((row, mode))
            if gv is None and tv is None:
                continue
            ratio = f"**{gv / tv:.2f}×**" if gv and tv else "—"
            print(f"| {row} | {label} | {gv or 0:.1f} | {tv or 0:.1f} | {ratio} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
