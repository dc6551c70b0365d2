#!/usr/bin/env python3
"""Reference numbers for tests/unit/test_optim.cpp and tests/unit/test_schedules.cpp.

Runs the real frameworks (torch.optim, torch.optim.lr_scheduler, torch.nn.utils, fastai) in
float64 and prints the values pasted into the C++ tests. Rerun with
    tools/.venv/bin/python tools/reference_optim.py
The toy problem (mirrored in test_optim.cpp): two parameters, a = [0.5, 0.25, 0, -0.25, -0.5]
and b = [1, 1.5, 2]; at step t (1-based) element k (a then b, k = 0..7) gets the gradient
    grad = sin(k + t) + 0.5 * value
(sin from Python's math module, i.e. the C library, so C++ std::sin gives the same bits).
"""
import math
import warnings

warnings.filterwarnings("ignore", category=FutureWarning)
import torch  # noqa: E402
from fastai.optimizer import RAdam, ranger  # noqa: E402

torch.set_default_dtype(torch.float64)


def fresh():
    a = torch.tensor([0.5, 0.25, 0.0, -0.25, -0.5], requires_grad=True)
    b = torch.tensor([1.0, 1.5, 2.0], requires_grad=True)
    return a, b


def set_grads(params, t):
    k = 0
    for p in params:
        vals = []
        for v in p.detach().tolist():
            vals.append(math.sin(k + t) + 0.5 * v)
            k += 1
        p.grad = torch.tensor(vals) if p.requires_grad else None


def show(name, params):
    vals = [v for p in params for v in p.detach().tolist()]
    print(f"// {name}")
    print("{" + ", ".join(repr(v) for v in vals) + "}")


def run_torch(name, make, steps, frozen_b=False, clip=None):
    a, b = fresh()
    if frozen_b:
        b.requires_grad_(False)
    opt = make(a, b)
    norms = []
    for t in range(1, steps + 1):
        set_grads([a, b], t)
        if clip is not None:
            norms.append(torch.nn.utils.clip_grad_norm_([a, b], clip).item())
        opt.step()
    show(name, [a, b])
    if norms:
        print("// norms " + name)
        print("{" + ", ".join(repr(v) for v in norms) + "}")


def run_fastai(name, make, steps):
    a, b = fresh()
    opt = make([a, b])
    for t in range(1, steps + 1):
        set_grads([a, b], t)
        opt.step()
    show(name, [a, b])


def optimizers():
    S = torch.optim.SGD
    run_torch("sgd lr=0.1", lambda a, b: S([a, b], lr=0.1), 5)
    run_torch("sgd lr=0.1 mom=0.9 damp=0.1 wd=0.01",
              lambda a, b: S([a, b], lr=0.1, momentum=0.9, dampening=0.1, weight_decay=0.01), 5)
    run_torch("sgd lr=0.1 mom=0.9 nesterov wd=1e-4",
              lambda a, b: S([a, b], lr=0.1, momentum=0.9, nesterov=True, weight_decay=1e-4), 5)
    run_torch("sgd groups a:lr=0.1 b:lr=0.01 mom=0.9",
              lambda a, b: S([{"params": [a]}, {"params": [b], "lr": 0.01}], lr=0.1, momentum=0.9), 5)
    run_torch("sgd lr=0.1 mom=0.9, b frozen",
              lambda a, b: S([a, b], lr=0.1, momentum=0.9), 5, frozen_b=True)
    run_torch("sgd lr=0.1 mom=0.9 clip_grad_norm 1.0",
              lambda a, b: S([a, b], lr=0.1, momentum=0.9), 5, clip=1.0)
    A = torch.optim.Adam
    run_torch("adam lr=0.01", lambda a, b: A([a, b], lr=0.01), 5)
    run_torch("adam lr=0.01 betas=(0.8,0.99) eps=1e-6 wd=0.1 (L2)",
              lambda a, b: A([a, b], lr=0.01, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.1), 5)
    run_torch("adamw lr=0.01 (wd 0.01 default)", lambda a, b: torch.optim.AdamW([a, b], lr=0.01), 5)
    run_torch("adamw lr=0.01 wd=0.1", lambda a, b: torch.optim.AdamW([a, b], lr=0.01, weight_decay=0.1), 5)
    run_fastai("fastai RAdam lr=0.01 (defaults) 13 steps", lambda ps: RAdam(ps, lr=0.01), 13)
    run_fastai("fastai RAdam lr=0.01 wd=0.1 13 steps", lambda ps: RAdam(ps, lr=0.01, wd=0.1), 13)
    run_fastai("fastai ranger lr=0.01 (defaults) 13 steps", lambda ps: ranger(ps, lr=0.01), 13)
    run_fastai("fastai ranger lr=0.01 k=3 alpha=0.8 mom=0.9 wd=0 14 steps",
               lambda ps: ranger(ps, lr=0.01, k=3, alpha=0.8, mom=0.9, wd=0.0), 14)


def one_cycle():
    """fastai Learner.fit_one_cycle on a tiny model with two parameter groups, recording every
    group's lr and mom at every batch (what ParamScheduler set before the batch)."""
    import fastai.callback.schedule  # noqa: F401  (patches Learner.fit_one_cycle)
    from fastai.callback.core import Callback
    from fastai.data.core import DataLoaders
    from fastai.learner import Learner
    from fastai.optimizer import Adam

    torch.set_default_dtype(torch.float32)  # fastai's Recorder expects float32 losses
    torch.manual_seed(0)
    xs = torch.randn(40, 2)
    ys = torch.randn(40, 1)
    ds = list(zip(xs, ys))
    dls = DataLoaders.from_dsets(ds, ds, bs=4, shuffle=False, device="cpu")  # 10 batches/epoch
    model = torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.Linear(3, 1))

    class Rec(Callback):
        order = 70

        def before_fit(self):
            self.lrs, self.mom_log = [], []

        def after_batch(self):
            if self.training:
                self.lrs.append([h["lr"] for h in self.opt.hypers])
                self.mom_log.append([h["mom"] for h in self.opt.hypers])

    rec = Rec()
    learn = Learner(dls, model, loss_func=torch.nn.MSELoss(), opt_func=Adam,
                    splitter=lambda m: [list(m[0].parameters()), list(m[1].parameters())], cbs=rec)
    with learn.no_bar(), learn.no_logging():
        learn.fit_one_cycle(2, lr_max=[1e-3, 1e-2])  # 20 steps
    print("// fastai fit_one_cycle(2 epochs x 10 batches, lr_max=[1e-3, 1e-2]): lr per step, group 0")
    print("{" + ", ".join(repr(float(r[0])) for r in rec.lrs) + "}")
    print("// group 1")
    print("{" + ", ".join(repr(float(r[1])) for r in rec.lrs) + "}")
    print("// mom per step")
    print("{" + ", ".join(repr(float(m[0])) for m in rec.mom_log) + "}")

    from fastai.callback.schedule import combined_cos
    f = combined_cos(0.25, 0.1 / 25, 0.1, 0.1 / 1e5)
    pos = [0.0, 0.1, 0.25, 0.3, 0.5, 0.9, 0.999]
    print("// fastai combined_cos(0.25, 0.1/25, 0.1, 0.1/1e5) at", pos, "(float32 positions inside)")
    print("{" + ", ".join(repr(f(p)) for p in pos) + "}")

    def cos(start, end, p):  # fastai sched_cos in float64
        return start + (1 + math.cos(math.pi * (1 - p))) * (end - start) / 2

    def exact(p):
        return cos(0.1 / 25, 0.1, p / 0.25) if p < 0.25 else cos(0.1, 0.1 / 1e5, (p - 0.25) / 0.75)
    print("// the same in float64 arithmetic (fastai sched_cos formula)")
    print("{" + ", ".join(repr(exact(p)) for p in pos) + "}")


def torch_schedules():
    def lrs(make, steps, base=0.1):
        p = torch.zeros(1, requires_grad=True)
        opt = torch.optim.SGD([p], lr=base)
        s = make(opt)
        out = []
        for _ in range(steps):
            out.append(opt.param_groups[0]["lr"])
            opt.step()
            s.step()
        return out
    L = torch.optim.lr_scheduler
    for name, make, n in [
        ("CosineAnnealingWarmRestarts(T_0=5, T_mult=2, eta_min=1e-4), base 0.1",
         lambda o: L.CosineAnnealingWarmRestarts(o, T_0=5, T_mult=2, eta_min=1e-4), 40),
        ("CosineAnnealingWarmRestarts(T_0=4), base 0.1", lambda o: L.CosineAnnealingWarmRestarts(o, T_0=4), 10),
        ("StepLR(step_size=3, gamma=0.5), base 0.1", lambda o: L.StepLR(o, step_size=3, gamma=0.5), 10),
    ]:
        print(f"// torch {name}: lr at steps 0..{n - 1}")
        print("{" + ", ".join(repr(v) for v in lrs(make, n)) + "}")


if __name__ == "__main__":
    optimizers()
    one_cycle()
    torch_schedules()
