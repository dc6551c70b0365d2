#!/usr/bin/env python3
"""Generate the PyTorch reference fixtures for galnet's C++ tests.

    tools/.venv/bin/python tools/make_fixtures.py            # tests/fixtures/*.safetensors
    tools/.venv/bin/python tools/make_fixtures.py --full     # + full-size models in
                                                             #   tests/fixtures/local/ (git-ignored)
    tools/.venv/bin/python tools/make_fixtures.py --only sfnet   # cases whose name contains it

Every case is seeded on its own (torch.manual_seed), computed in float64 and
written by a deterministic safetensors writer, so re-running reproduces the
committed files byte for byte on the same torch version. The file format and
the list of cases are described in tests/fixtures/README.md.
"""
import argparse
import os
import sys
import time
import warnings

warnings.filterwarnings("ignore")  # fastai / torch.jit deprecation chatter

import torch  # noqa: E402

torch.set_num_threads(1)
torch.use_deterministic_algorithms(True)

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fixtures.common import save_safetensors  # noqa: E402
from fixtures.layers import LAYER_CASES, LOSS_CASES  # noqa: E402
from fixtures.models import FULL_CASES, MODEL_CASES  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIXTURES = os.path.join(ROOT, "tests", "fixtures")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--full", action="store_true",
                    help="also write full-size model cases to tests/fixtures/local/")
    ap.add_argument("--only", default="", help="only cases whose file name contains this")
    ap.add_argument("--out", default=FIXTURES, help="output directory (default tests/fixtures)")
    args = ap.parse_args()

    jobs = [(f"layer_{n}", f) for n, f in LAYER_CASES.items()]
    jobs += [(f"loss_{n}", f) for n, f in LOSS_CASES.items()]
    jobs += [(f"model_{n}", f) for n, f in MODEL_CASES.items()]
    if args.full:
        jobs += [(os.path.join("local", f"model_{n}"), f) for n, f in FULL_CASES.items()]

    total = 0
    for name, fn in jobs:
        if args.only and args.only not in name:
            continue
        t0 = time.time()
        tensors, metadata, notes = fn()
        path = os.path.join(args.out, name + ".safetensors")
        os.makedirs(os.path.dirname(path), exist_ok=True)
        save_safetensors(path, tensors, metadata)
        size = os.path.getsize(path)
        if not name.startswith("local"):
            total += size
        extra = " ".join(f"{k}={v}" for k, v in notes.items())
        print(f"{name:40s} {size / 1024:8.1f} KiB {time.time() - t0:6.1f}s  {extra}")
    print(f"total (committed files written this run): {total / 1024:.1f} KiB")


if __name__ == "__main__":
    main()
