#!/usr/bin/env python3
"""Wu & Boada's learning-rate sequence from fastai 0.7 itself, for tests/unit/test_schedules.cpp.

The paper ran fastai 0.7 (its README). That release needs torch 0.3 and installs on no current
Python, so this script runs fastai 0.7's own scheduler source (fastai/sgdr.py: Callback,
LossRecorder, LR_Updater, CosAnneal) from the published wheel, with the few imports it needs
stubbed, and drives it the way fastai 0.7's model.fit does: on_train_begin, then on_batch_end
after every batch, the rates read before each batch. The three fit calls of the paper:
    learn.fit(lrs, 2, cycle_len=1)                 # head only
    learn.unfreeze(); learn.fit(lrs, 1, cycle_len=1)
    learn.fit(lrs, 3, cycle_len=1, cycle_mult=2)   # cycles of 1, 2 and 4 epochs
with lrs = fastai's slice(1e-3, 0.1) over ResNet-34's three layer groups. Writes
tests/fixtures/sgdr_wu_boada_lrs.csv (step, lr of each group) for 45 batches per epoch (so
fastai's warm-up, the first nb/20 batches of each call at lr/100, spans 3 batches).
    python3 tools/reference_sgdr.py      (downloads fastai==0.7.0 from PyPI into a temp folder)
"""
import abc
import collections.abc
import math
import pathlib
import subprocess
import sys
import tempfile
import types
import zipfile

import numpy as np

BATCHES = 45
LRS = np.array([1e-3 * (0.1 / 1e-3) ** (i / 2) for i in range(3)])  # fastai: even_mults(1e-3, 0.1, 3)
CALLS = [dict(n_cycle=2, cycle_len=1, cycle_mult=1), dict(n_cycle=1, cycle_len=1, cycle_mult=1),
         dict(n_cycle=3, cycle_len=1, cycle_mult=2)]


def fastai_sgdr_module():
    tmp = pathlib.Path(tempfile.mkdtemp())
    subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "-d", str(tmp),
                    "fastai==0.7.0"], check=True)
    wheel = next(tmp.glob("fastai-0.7.0-*.whl"))
    source = zipfile.ZipFile(wheel).read("fastai/sgdr.py").decode()
    # sgdr.py starts with `from .imports import *` and `from .layer_optimizer import *`; the
    # scheduler classes use only numpy, math, os and abstractmethod from them.
    body = source.replace("from .imports import *", "").replace("from .layer_optimizer import *", "")
    mod = types.ModuleType("fastai_sgdr")
    mod.__dict__.update(np=np, math=math, os=__import__("os"), abstractmethod=abc.abstractmethod,
                        Iterable=collections.abc.Iterable, in_ipynb=lambda: False, plt=None,
                        optim=types.SimpleNamespace(SGD=None))  # a default argument of TrainingPhase
    exec(compile(body, "fastai/sgdr.py", "exec"), mod.__dict__)
    return mod


class LayerOpt:
    """What fastai 0.7's CosAnneal touches of a LayerOptimizer: lrs and set_lrs."""

    def __init__(self, lrs):
        self.lrs = list(lrs)

    @property
    def lr(self):
        return self.lrs[-1]

    def set_lrs(self, lrs):
        self.lrs = list(lrs)


def main():
    sgdr = fastai_sgdr_module()
    rows = []
    for call in CALLS:
        layer_opt = LayerOpt(LRS)
        sched = sgdr.CosAnneal(layer_opt, BATCHES * call["cycle_len"], cycle_mult=call["cycle_mult"])
        epochs = call["cycle_len"] * sum(call["cycle_mult"] ** i for i in range(call["n_cycle"]))
        sched.on_train_begin()
        for _ in range(epochs * BATCHES):
            rows.append(list(layer_opt.lrs))  # the rates this batch trains with
            sched.on_batch_end(0.0)
    out = pathlib.Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "sgdr_wu_boada_lrs.csv"
    with open(out, "w") as f:
        f.write(f"# fastai 0.7 CosAnneal, {BATCHES} batches per epoch: fit(lrs, 2, cycle_len=1), "
                "fit(lrs, 1, cycle_len=1), fit(lrs, 3, cycle_len=1, cycle_mult=2)\n")
        f.write("step,lr0,lr1,lr2\n")
        for i, r in enumerate(rows):
            f.write(f"{i},{float(r[0])!r},{float(r[1])!r},{float(r[2])!r}\n")
    print(f"wrote {len(rows)} steps to {out}")


if __name__ == "__main__":
    main()
