#!/usr/bin/env python3
"""Generate tests/fixtures/export_*.safetensors: small models built with the real
frameworks (torchvision, fastai, Keras), saved as their users save them, and converted by
tools/export_torch.py / tools/export_keras.py. tests/unit/test_exported.cpp loads each into
the matching galnet model with io::load_exported, which recomputes the embedded test vector.

    tools/.venv/bin/python tools/make_export_fixtures.py [--out tests/fixtures] [--only NAME]

Files (batch-2 test vectors; 48 px for the ResNets, 32 px for the body, 80 px for sdss_CNN, so
that the four files stay under 3 MB together):
  export_sfnet_w8                ResNet18TopK module (resnet + shared trunk) at 1/8 width, k=4,
                                 random weights and BN statistics; state dict -> export_torch.py
                                 (k from the file name), with --mean/--std
  export_fastai_v1_wuboada_w8    nn.Sequential(fastai create_body(ResNet-34 at 1/8 width),
                                 fastai v1 head 128 -> BN -> Linear(64) -> ReLU -> BN -> Linear(1))
                                 saved like learn.save: {'model': sd, 'opt': SGD state}
  export_keras_spin_w8           Keras sdss_CNN at 1/8 width (8,12,16,24,24 / 16,8,1), random,
                                 Keras-2-style weights .h5 -> export_keras.py (Keras reference)
  export_resnet18_body_w4        torchvision-style ResNet-18 classifier at 1/16 width (stem 4);
                                 fc dropped by the exporter (w4 keeps the total under 3 MB)

Besides writing them, the script checks each exported test vector against the SOURCE model's
own forward (the framework's module, not the exporter's rebuild) and runs self-checks of the
other layouts (fastai 0.7 flat, fastai 2 bias-less head, pickled module, Keras full-model
files, torchvision at full width, error messages); nothing of those is committed.
"""
import argparse
import copy
import os
import sys
import tempfile
import time
import warnings

warnings.filterwarnings("ignore")
os.environ.setdefault("TF_NUM_INTRAOP_THREADS", "1")
os.environ.setdefault("TF_NUM_INTEROP_THREADS", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
import torchvision  # noqa: E402

torch.set_num_threads(1)
torch.use_deterministic_algorithms(True)

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import export_keras as ek  # noqa: E402
import export_torch as et  # noqa: E402
from fixtures.common import calibrate_bn_, randn, randomize_  # noqa: E402

ROOT = os.path.dirname(HERE)
FIXTURES = os.path.join(ROOT, "tests", "fixtures")


# ------------------------------------------------------------------ source models
class ResNet18TopK(nn.Module):
    """Wu (2025)'s module as MODELS.md describes it: a torchvision resnet18 as `resnet` (fc
    replaced) and `trunk` = Sequential of its children except fc, sharing the modules."""

    def __init__(self, k=4, n_out=1, width=64):
        super().__init__()
        self.resnet = (torchvision.models.resnet18() if width == 64
                       else et.TorchvisionResNet(width, [2, 2, 2, 2], 1000))
        self.resnet.fc = nn.Linear(8 * width, n_out)
        self.trunk = nn.Sequential(*list(self.resnet.children())[:-1])
        self.k = k

    def forward(self, x):
        h = torch.relu(torch.flatten(self.trunk(x), 1))
        v, i = h.topk(self.k, dim=1)
        return self.resnet.fc(torch.zeros_like(h).scatter(1, i, v))


def fastai_v1_learner_model(width=8, hidden=64, outputs=1):
    """fastai's create_body on a ResNet-34, plus fastai v1's create_head (bn_drop_lin: BN,
    Dropout, Linear with bias) built from fastai's own layers."""
    from fastai.layers import AdaptiveConcatPool2d, Flatten
    from fastai.vision.learner import create_body
    body = create_body(et.TorchvisionResNet(width, [3, 4, 6, 3], 1000), pretrained=False)
    nf = 16 * width
    head = nn.Sequential(AdaptiveConcatPool2d(), Flatten(),
                         nn.BatchNorm1d(nf), nn.Dropout(0.25), nn.Linear(nf, hidden), nn.ReLU(inplace=True),
                         nn.BatchNorm1d(hidden), nn.Dropout(0.5), nn.Linear(hidden, outputs))
    return nn.Sequential(body, head)


@torch.no_grad()
def source_check(name, module, result, tol=1e-6):
    """The exported test vector against the source module's own float64 forward."""
    m = copy.deepcopy(module).double().eval()
    y = m(result["input"].double() if torch.is_tensor(result["input"])
          else torch.from_numpy(result["input"]).double())
    e = et.rel_error(np.asarray(result["output"]), y.numpy())
    print(f"  {name}: exported test output vs the source module's forward: {e:.1e}")
    assert e < tol, f"{name}: the exporter's rebuild differs from the source model ({e})"
    return e


def same_tensors(a, b, what):
    a = {k: np.asarray(v) for k, v in (a.items() if isinstance(a, dict) else a)}
    b = {k: np.asarray(v) for k, v in (b.items() if isinstance(b, dict) else b)}
    assert list(a) == list(b) or set(a) == set(b), f"{what}: keys differ: {set(a) ^ set(b)}"
    for k in a:
        assert np.array_equal(a[k], b[k]), f"{what}: tensor {k} differs"
    print(f"  {what}: identical ({len(a)} tensors)")


def expect_error(argv, needle, what):
    try:
        et.main(argv)
    except et.ExportError as e:
        assert needle in str(e), f"{what}: message {e!s} lacks {needle!r}"
        print(f"  {what}: refused as expected: {e}")
        return
    raise AssertionError(f"{what}: export did not fail")


def state_np(result):
    return {k: v.to(torch.float32).numpy() for k, v in result["state"].items()}


# ------------------------------------------------------------------ cases
SFNET_MEAN = ["0.1655", "0.1405", "0.1206"]  # illustrative per-channel statistics
SFNET_STD = ["0.1731", "0.1536", "0.1438"]


def case_sfnet(out, tmp):
    torch.manual_seed(4401)
    model = ResNet18TopK(k=4, n_out=1, width=8)
    randomize_(model)  # random weights, biases and BN running statistics
    src = os.path.join(tmp, "resnet18-topk_4-w8.pth")  # k = 4 comes from the name, as published
    torch.save(model.state_dict(), src)
    # 48 px (layer4 at 2x2 through odd sizes 3 -> 2) keeps the committed total under 3 MB.
    r = et.main([src, "-o", out, "--test-size", "48", "--mean", *SFNET_MEAN, "--std", *SFNET_STD])
    assert r["kind"] == "sfnet"
    source_check("sfnet", model, r)

    # Self-checks: the pickled module (k from its attribute) gives the same file content;
    # a trunk that is not a copy of resnet is refused.
    pk = os.path.join(tmp, "sfnet_module.pt")
    torch.save(model, pk)
    r2 = et.main([pk, "-o", os.path.join(tmp, "x.safetensors"), "--allow-pickle"])
    same_tensors(state_np(r), state_np(r2), "sfnet from a pickled module")
    sd = model.state_dict()
    sd = {k: v.clone() for k, v in sd.items()}
    sd["trunk.4.0.conv1.weight"][0, 0, 0, 0] += 1
    bad = os.path.join(tmp, "resnet18-topk_4-bad.pth")
    torch.save(sd, bad)
    expect_error([bad, "-o", os.path.join(tmp, "x.safetensors")], "trunk.4.0.conv1.weight", "sfnet, tampered trunk")
    expect_error([os.path.join(tmp, "resnet18-topk_4-w8.pth"), "-o", os.path.join(tmp, "x.safetensors"),
                  "--kind", "wu_boada"], "fc", "sfnet forced as wu_boada")
    return r


def case_fastai(out, tmp):
    torch.manual_seed(4402)
    model = fastai_v1_learner_model(width=8, hidden=64)
    randomize_(model)
    torch.manual_seed(4403)
    calibrate_bn_(model, randn(8, 3, 64, 64))  # sane running statistics through 36+2 batch norms
    # fastai v1 learn.save: {'model': state_dict, 'opt': optimizer state}; momentum buffers from
    # one SGD step at lr 0 (weights unchanged).
    opt = torch.optim.SGD(model.parameters(), lr=0.0, momentum=0.9)
    model.train()
    model(randn(4, 3, 64, 64)).pow(2).mean().backward()
    opt.step()
    torch.manual_seed(4403)
    calibrate_bn_(model, randn(8, 3, 64, 64))  # undo the running-stat update of that forward
    src = os.path.join(tmp, "wuboada_fastai_v1.pth")
    torch.save({"model": model.state_dict(), "opt": opt.state_dict()}, src)
    r = et.main([src, "-o", out, "--test-size", "48"])
    assert r["kind"] == "wu_boada" and r["layout"] == "fastai_v1"
    source_check("fastai v1 wu_boada", model, r)

    # Self-check: the same network in fastai 0.7's flat Sequential (0..7 body, 8.. head), bare sd.
    flat = nn.Sequential(*model[0].children(), *model[1].children())
    src07 = os.path.join(tmp, "wuboada_fastai07.pth")
    torch.save(flat.state_dict(), src07)
    r07 = et.main([src07, "-o", os.path.join(tmp, "x07.safetensors"), "--test-size", "48"])
    assert r07["layout"] == "fastai_0.7"
    same_tensors(state_np(r), state_np(r07), "fastai 0.7 flat layout")
    assert torch.equal(r["output"], r07["output"])

    # Self-check: fastai 2's create_head (LinBnDrop: Linear without bias after a BN).
    from fastai.vision.learner import create_head
    torch.manual_seed(4404)
    m2 = nn.Sequential(copy.deepcopy(model[0]), create_head(64, 1, lin_ftrs=[64]))  # nf = body channels; concat pool doubles it
    randomize_(m2[1])
    src2 = os.path.join(tmp, "wuboada_fastai2.pth")
    torch.save({"model": m2.state_dict()}, src2)
    r2 = et.main([src2, "-o", os.path.join(tmp, "x2.safetensors")])
    source_check("fastai 2 head (no biases)", m2, r2)
    # A head that is not BN/Linear/BN/Linear is refused, naming the key.
    sd = {k: v for k, v in model.state_dict().items()}
    sd["1.9.weight"] = torch.zeros(1, 1)
    bad = os.path.join(tmp, "bad_head.pth")
    torch.save(sd, bad)
    expect_error([bad, "-o", os.path.join(tmp, "x.safetensors")], "1.9.weight", "fastai head with an extra Linear")
    return r


def case_resnet_body(out, tmp, width=4):
    torch.manual_seed(4405)
    model = et.TorchvisionResNet(width, [2, 2, 2, 2], 10)
    randomize_(model)
    torch.manual_seed(4406)
    calibrate_bn_(model, randn(8, 3, 64, 64))
    src = os.path.join(tmp, f"resnet18_w{width}.pth")
    torch.save(model.state_dict(), src)
    r = et.main([src, "-o", out, "--test-size", "32"])  # 32 px: keeps the committed total under 3 MB
    assert r["kind"] == "resnet_body"
    source_check("resnet18 body", nn.Sequential(*list(model.children())[:-2]), r)

    # Self-checks at full width: the rebuild is torchvision's resnet18 key for key, and an
    # unknown key is refused by name.
    tv = torchvision.models.resnet18()
    assert list(tv.state_dict()) == list(et.TorchvisionResNet(64, [2, 2, 2, 2], 1000).state_dict())
    sd = {k: v for k, v in model.state_dict().items()}
    sd["layer1.0.conv3.weight"] = torch.zeros(1)
    bad = os.path.join(tmp, "bad_resnet.pth")
    torch.save(sd, bad)
    expect_error([bad, "-o", os.path.join(tmp, "x.safetensors")], "layer1.0.conv3.weight", "resnet with a stray key")
    return r


def case_keras(out, tmp):
    # Random ReLU networks leave units dead on a 2-image batch; of a few seeds, keep the one whose
    # test vector exercises the most units (printed as "ReLU channels/units active").
    best = None
    for seed in range(4407, 4413):
        src = os.path.join(tmp, f"sdss_cnn_w8_seed{seed}.h5")
        ek.main(["--build-random", src, "--width-div", "8", "--seed", str(seed)])
        cov = ek.main([src, "-o", os.path.join(tmp, "xk.safetensors")])["coverage"]
        if best is None or cov[0] > best[0]:
            best = (cov[0], seed)
    src = os.path.join(tmp, "sdss_cnn_w8.h5")
    os.replace(os.path.join(tmp, f"sdss_cnn_w8_seed{best[1]}.h5"), src)
    r = ek.main([src, "-o", out])
    e_last, e_first = r["flatten_errors"]
    assert e_last < 1e-5 and e_first > 1e-2, (e_last, e_first)
    # Self-checks: the same network saved as a full model (.h5 and .keras) exports identically.
    model, _ = ek.load_keras(src)
    for name in ("sdss_cnn_w8_model.h5", "sdss_cnn_w8.keras"):
        p = os.path.join(tmp, name)
        model.save(p)
        r2 = ek.main([p, "-o", os.path.join(tmp, "xk.safetensors")])
        same_tensors(r["tensors"], r2["tensors"], f"keras {name}")
    # The published network's size: 5,994,145 parameters.
    n = ek.sdss_cnn(1).count_params()
    assert n == 5994145, n
    print(f"  keras sdss_CNN at full width: {n} parameters")
    return r


CASES = {
    "export_sfnet_w8": case_sfnet,
    "export_fastai_v1_wuboada_w8": case_fastai,
    "export_keras_spin_w8": case_keras,
    "export_resnet18_body_w4": case_resnet_body,
}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=FIXTURES, help="output directory (default tests/fixtures)")
    ap.add_argument("--only", default="", help="only cases whose name contains this")
    args = ap.parse_args()
    total = 0
    with tempfile.TemporaryDirectory(prefix="galnet-export-") as tmp:
        for name, fn in CASES.items():
            if args.only and args.only not in name:
                continue
            t0 = time.time()
            path = os.path.join(args.out, name + ".safetensors")
            print(f"{name}:")
            fn(path, tmp)
            size = os.path.getsize(path)
            total += size
            print(f"  -> {path}: {size / 1024:.1f} KiB, {time.time() - t0:.1f}s")
    print(f"total written: {total / 1024:.1f} KiB")


if __name__ == "__main__":
    main()
