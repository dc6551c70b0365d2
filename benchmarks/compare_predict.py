#!/usr/bin/env python3
"""Survey-scale prediction, end to end: galnet's programs against what a Python user writes.

Each job goes from files on disk to the predictions table:
  sfnet     `sfnet predict` over N mock-survey JPEG cutouts (160 px, crop 144), against
            benchmarks/predict_pytorch.py (a DataLoader with worker processes, torchvision.io,
            channels-last, inference_mode) with the same model file;
  wu_boada  `wu_boada predict` (ResNet-34, 128 px), against the same PyTorch script;
  line_ew   `line_ew predict` over N rows of continuum fluxes (the published weights), against
            numpy (float64, OpenBLAS) and JAX in benchmarks/predict_line_ew.py.
Prints galaxies/s of each, galnet's ratio to the peer, each program's peak resident memory (the
largest process), and how far the peers' predictions are from galnet's, relative (the same model
file: a benchmark of the same job, not of different answers; the largest difference can be a
top-k that keeps another feature of two nearly equal ones). With --memory-n M, galnet's programs run
again over M galaxies and the peak memory of both runs is shown (streaming: within 10 %).

galnet's time is its program's whole run (start, weights, reading, predicting, writing); a peer's
runs from opening the model and catalog to the closed CSV (the interpreter's start and imports
not counted). --bin names the programs' folder: a build with CUDA links cuBLAS and cuDNN, whose
loading adds about 0.3 s and 200 MiB to every run; a CPU build (scripts/demo.sh's build-demo/bin)
measures the CPU programs alone.

  tools/.venv/bin/python benchmarks/compare_predict.py [--bin build/bin] [--work /tmp/galnet-predict]
        [--n 20000] [--memory-n M] [--only sfnet,wu_boada,line_ew] [--threads 2] [--workers 2] [--rounds 1]

The mock surveys, flux tables and model files are made once in --work and reused. The models are
trained for one epoch on 256 galaxies (the weights' values do not change the work done). With
--rounds R every program runs R times in turn and each keeps its best rate.
"""
import argparse
import csv
import json
import math
import os
import shutil
import subprocess
import sys
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(ROOT, "tools"))
from reference_line_ew import mock_continua  # noqa: E402  (the fixtures' mock continua)
PEER_ENV = dict(os.environ, OMP_WAIT_POLICY=os.environ.get("OMP_WAIT_POLICY", "passive"))


# A child forked from this process would report this process's resident memory as its own peak
# (Linux keeps the larger across fork and exec); a small launcher forks each program instead.
LAUNCHER = """
import json, os, subprocess, sys, time
t = time.perf_counter()
p = subprocess.Popen(sys.argv[1:])
_, status, usage = os.wait4(p.pid, 0)
sys.stderr.write(json.dumps({"status": status, "wall": time.perf_counter() - t, "rss": usage.ru_maxrss}) + "\\n")
"""


def timed(cmd, env=None):
    """Runs cmd: (wall s, peak resident memory in MiB of its largest process, stdout)."""
    p = subprocess.run([sys.executable, "-c", LAUNCHER] + cmd, capture_output=True, text=True, env=env)
    report = json.loads(p.stderr.strip().splitlines()[-1])
    if report["status"] != 0:
        sys.exit(f"compare_predict: {' '.join(cmd)} failed (status {report['status']}):\n{p.stderr[-3000:]}")
    return report["wall"], report["rss"] / 1024.0, p.stdout


# ---------------------------------------------------------------- inputs, made once
def mock_survey(bin_dir, work, layout, n, threads):
    folder = os.path.join(work, f"{layout}-{n}")
    cat = os.path.join(folder, "galaxies.csv" if layout == "sfnet" else "train.csv")
    if not os.path.exists(cat):
        subprocess.run([os.path.join(bin_dir, "mock_survey"), "--layout", layout, "--n", str(n), "--seed", "7",
                        "--threads", str(threads), "--overwrite", "--out", folder], check=True, stdout=subprocess.DEVNULL)
    return folder, cat


def image_dir(layout):
    return "images-sdss" if layout == "sfnet" else "images"


def model_file(bin_dir, work, program, threads):
    """A model trained for one epoch on 256 mock galaxies (made once)."""
    run_dir = os.path.join(work, f"{program}-model")
    path = os.path.join(run_dir, "model.safetensors")
    if os.path.exists(path):
        return path
    folder, cat = mock_survey(bin_dir, work, program, 256, threads)
    subprocess.run([os.path.join(bin_dir, program), "train", "--data", folder, "--epochs", "1", "--batch-size", "32",
                    "--threads", str(threads), "--no-progress", "--overwrite", "--out", run_dir], check=True,
                   stdout=subprocess.DEVNULL)
    return path


def flux_table(work, n):
    """n rows of smooth mock continua (power law with a 4000 Å break, z 0.02–0.3, 1 % noise)."""
    path = os.path.join(work, f"fluxes-{n}.csv")
    if os.path.exists(path):
        return path
    f, z = mock_continua(np.random.default_rng(11), n)
    with open(path + ".tmp", "w") as out:
        out.write("id," + ",".join(f"flux_{j}" for j in range(12)) + ",z\n")
        for i in range(n):
            out.write(f"g{i}," + ",".join(f"{v:.7g}" for v in f[i]) + f",{z[i]:.7g}\n")
    os.replace(path + ".tmp", path)
    return path


# ---------------------------------------------------------------- agreement
def read_columns(path):
    with open(path, newline="") as f:
        r = csv.reader(f)
        header = next(r)
        rows = {row[0]: row[1:] for row in r}
    return header[1:], rows


def differences(galnet_csv, peer_csv):
    """The median and largest |peer − galnet| ÷ |galnet| over the columns both tables have."""
    gh, g = read_columns(galnet_csv)
    ph, p = read_columns(peer_csv)
    cols = [(gh.index(c), ph.index(c)) for c in ph if c in gh and c != "flag"]
    d = []
    for key, prow in p.items():
        grow = g[key]
        for gi, pi in cols:
            a, b = float(grow[gi]), float(prow[pi])
            d.append(abs(a - b) / (abs(a) if a != 0 else 1.0))
    return float(np.median(d)), max(d)


# ---------------------------------------------------------------- the jobs
def galnet_image(bin_dir, program, folder, weights, out, a):
    shutil.rmtree(out, ignore_errors=True)
    wall, rss, _ = timed([os.path.join(bin_dir, program), "predict", "--weights", weights, "--data", folder,
                          "--threads", str(a.threads), "--workers", str(a.workers), "--out", out])
    return wall, rss, os.path.join(out, "predictions.csv")


def torch_image(program, folder, cat, weights, out, a):
    os.makedirs(out, exist_ok=True)
    csv_out = os.path.join(out, "predictions.csv")
    wall, rss, text = timed([sys.executable, os.path.join(HERE, "predict_pytorch.py"), "--model", program,
                             "--weights", weights, "--catalog", cat, "--images", os.path.join(folder, image_dir(program)),
                             "--output", csv_out, "--threads", str(a.threads), "--workers", str(a.workers),
                             "--batch-size", "64" if program == "sfnet" else "128"], env=PEER_ENV)
    return json.loads(text.strip().splitlines()[-1])["seconds"], rss, csv_out


def galnet_lines(bin_dir, table, out, a):
    wall, rss, _ = timed([os.path.join(bin_dir, "line_ew"), "predict", "--input", table, "--output", out,
                          "--threads", str(a.threads)])
    return wall, rss, out


def peer_lines(framework, table, out, a):
    env = dict(PEER_ENV, OPENBLAS_NUM_THREADS=str(a.threads), OMP_NUM_THREADS=str(a.threads),
               XLA_FLAGS=f"--xla_cpu_multi_thread_eigen=true intra_op_parallelism_threads={a.threads}")
    weights = os.path.join(ROOT, "data", "line_ew", "line_ew_with_luminosity.safetensors")
    wall, rss, text = timed([sys.executable, os.path.join(HERE, "predict_line_ew.py"), "--framework", framework,
                             "--weights", weights, "--input", table, "--output", out], env=env)
    return json.loads(text.strip().splitlines()[-1])["seconds"], rss, out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--bin", default=os.path.join(ROOT, "build", "bin"))
    ap.add_argument("--work", default=os.path.join("/tmp", "galnet-predict"))
    ap.add_argument("--n", type=int, default=20000, help="galaxies per job")
    ap.add_argument("--memory-n", type=int, default=0, help="also run galnet over this many galaxies: peak memory")
    ap.add_argument("--only", default="sfnet,wu_boada,line_ew")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--workers", type=int, default=2, help="data-loader workers (galnet threads, PyTorch processes)")
    ap.add_argument("--rounds", type=int, default=1)
    a = ap.parse_args()
    if a.n < 1 or a.rounds < 1 or a.threads < 1 or a.workers < 1 or a.memory_n < 0:
        sys.exit("compare_predict: --n, --rounds, --threads and --workers must be ≥ 1, --memory-n ≥ 0")
    jobs = a.only.split(",")
    for j in jobs:
        if j not in ("sfnet", "wu_boada", "line_ew"):
            sys.exit(f"compare_predict: --only: unknown job '{j}' (sfnet, wu_boada, line_ew)")
    os.makedirs(a.work, exist_ok=True)
    import torch
    print(f"# end-to-end prediction, {a.n} galaxies a job; {a.threads} threads, {a.workers} loader workers, "
          f"{os.cpu_count()} CPUs visible; PyTorch {torch.__version__}, numpy {np.__version__}", flush=True)

    rows = []  # (job, peer, galnet s, peer s, galnet RSS, peer RSS, agreement)
    for job in jobs:
        best = {}

        def keep(name, seconds, rss, path):
            s, r, _ = best.get(name, (math.inf, 0.0, None))
            best[name] = (min(s, seconds), max(r, rss), path)

        if job == "line_ew":
            table = flux_table(a.work, a.n)
            for _ in range(a.rounds):
                keep("galnet", *galnet_lines(a.bin, table, os.path.join(a.work, "ew-galnet.csv"), a))
                keep("numpy", *peer_lines("numpy", table, os.path.join(a.work, "ew-numpy.csv"), a))
                keep("JAX", *peer_lines("jax", table, os.path.join(a.work, "ew-jax.csv"), a))
            peers = ["numpy", "JAX"]
        else:
            weights = model_file(a.bin, a.work, job, a.threads)
            folder, cat = mock_survey(a.bin, a.work, job, a.n, a.threads)
            for _ in range(a.rounds):
                keep("galnet", *galnet_image(a.bin, job, folder, weights, os.path.join(a.work, f"{job}-galnet"), a))
                keep("PyTorch", *torch_image(job, folder, cat, weights, os.path.join(a.work, f"{job}-torch"), a))
            peers = ["PyTorch"]
        g = best["galnet"]
        for peer in peers:
            p = best[peer]
            rows.append((job, peer, g[0], p[0], g[1], p[1], differences(g[2], p[2])))
        if a.memory_n:
            if job == "line_ew":
                big = galnet_lines(a.bin, flux_table(a.work, a.memory_n), os.path.join(a.work, "ew-big.csv"), a)
            else:
                folder, _ = mock_survey(a.bin, a.work, job, a.memory_n, a.threads)
                big = galnet_image(a.bin, job, folder, weights, os.path.join(a.work, f"{job}-galnet-big"), a)
            print(f"{job}: galnet peak memory {g[1]:.0f} MiB over {a.n} galaxies, {big[1]:.0f} MiB over "
                  f"{a.memory_n} ({big[1] / g[1]:.2f}×)", flush=True)

    print("\n| job | peer | galnet (galaxies/s) | peer (galaxies/s) | galnet ÷ peer | peak memory galnet / peer (MiB) "
          "| relative difference, median / largest |")
    print("|---|---|---|---|---|---|---|")
    for job, peer, gs, ps, gr, pr, (med, worst) in rows:
        print(f"| {job} | {peer} | {a.n / gs:,.0f} | {a.n / ps:,.0f} | **{ps / gs:.2f}×** | {gr:.0f} / {pr:.0f} "
              f"| {med:.1e} / {worst:.1e} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
