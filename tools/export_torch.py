#!/usr/bin/env python3
"""Convert PyTorch / fastai weights to a galnet safetensors file with galnet's key names.

    tools/.venv/bin/python tools/export_torch.py SOURCE -o OUT.safetensors [options]

SOURCE is a PyTorch file (torch.save of a state dict, of a module, or a fastai
`learn.save` file {'model': state_dict, 'opt': ...}) or a .safetensors file. The kind
is detected from the keys (--kind forces it):

  resnet_body  torchvision ResNet-18/34 (conv1, bn1, layer1..4[, fc]); fc is dropped
               unless --keep-fc. Loads into galnet::models::ResNetBody<T, D, W>.
  sfnet        Wu (2025) ResNet18TopK: `resnet.*` (torchvision names) + the duplicate
               `trunk.N.*` (checked identical, then dropped); `resnet.fc` -> `fc`.
               Needs k: --k, or the module's attribute `k`, or `topk_K` in the file name.
               Loads into galnet::models::SFNet<T, D, Outputs, W>.
  wu_boada     fastai ResNet + head. fastai v1 / v2 `nn.Sequential(body, head)`: keys
               `0.<i>.*` (0 conv1, 1 bn1, 4-7 layer1-4) and `1.<j>.*` (head); fastai 0.7 flat
               Sequential: `0..7` body, `8..` head (8 concat pool, 10 BN1d, 12 Linear,
               14 BN1d, 16 Linear). The head's BN/Linear/BN/Linear become galnet's
               head.2/head.4/head.6/head.8. Loads into galnet::models::WuBoada<T, D, Outputs, W>.
  spin_cnn     sdss_CNN as a PyTorch nn.Sequential in galnet's layout (0,3,7,11,14 convs,
               18,21,22 dense, channel-last flatten); --nchw-flatten if the port flattened
               NCHW (the first dense's columns are then permuted). Keras files: export_keras.py.

Width and block counts come from the tensor shapes. `num_batches_tracked` is dropped. The
output also embeds a test vector: the model rebuilt in PyTorch from the converted tensors (eval
mode, float64) applied to a fixed seeded batch of 2 (`__test__.input`, NCHW) and its output
(`__test__.output`); galnet's `io::load_exported` recomputes it and refuses a mismatch.
Metadata: galnet.kind, galnet.width, galnet.outputs, galnet.k, galnet.blocks, galnet.source,
galnet.exporter, ... (docs/weights.md). Optional --mean/--std are stored as
`normalization.mean` / `normalization.std`. The file is written atomically, F32, keys in a
fixed order, so the same input gives the same bytes.
"""
import argparse
import collections
import json
import math
import os
import re
import struct
import sys
import tempfile
import warnings

import numpy as np

warnings.filterwarnings("ignore", category=UserWarning)

import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
from torchvision.models.resnet import BasicBlock, ResNet  # noqa: E402

EXPORTER = "tools/export_torch.py"
KINDS = ("resnet_body", "sfnet", "wu_boada", "spin_cnn")
SPIN_INDICES = (0, 3, 7, 11, 14, 18, 21, 22)


class ExportError(Exception):
    """A problem with the user's file; main() prints it without a traceback."""


# ----------------------------------------------------------------------------- writing
def write_safetensors(path, tensors, metadata):
    """Writes [(name, array)] as F32 safetensors, in the given order, metadata keys sorted.
    Atomic: a temporary file in the target's directory, fsync, rename."""
    meta = {str(k): str(v) for k, v in sorted(metadata.items())}
    header = {"__metadata__": meta} if meta else {}
    blobs, off = [], 0
    for name, a in tensors:
        a = np.ascontiguousarray(np.asarray(a, dtype="<f4"))
        b = a.tobytes()
        header[name] = {"dtype": "F32", "shape": list(a.shape), "data_offsets": [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    h = json.dumps(header, separators=(",", ":")).encode("utf-8")
    h += b" " * (-len(h) % 8)
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=os.path.basename(path) + ".tmp-", dir=directory)
    try:
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; give the file ordinary permissions
        with os.fdopen(fd, "wb") as f:
            f.write(struct.pack("<Q", len(h)))
            f.write(h)
            for b in blobs:
                f.write(b)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def rel_error(got, ref):
    got, ref = np.asarray(got, dtype=np.float64), np.asarray(ref, dtype=np.float64)
    den = np.abs(ref).max()
    num = np.abs(got - ref).max()
    return float(num / den) if den > 0 else float(num)


def common_metadata(args, kind, source):
    md = {"galnet.kind": kind, "galnet.source": os.path.basename(source)}
    if args.mean is not None:
        md["galnet.normalization"] = "x' = (x - normalization.mean[c]) / normalization.std[c]"
    return md


def finish_tensors(state, test_input, test_output, args):
    """Fixed order: model keys (in galnet's visit order), normalization, test vector."""
    out = [(k, v) for k, v in state]
    if args.mean is not None:
        out.append(("normalization.mean", np.asarray(args.mean, dtype=np.float32)))
        out.append(("normalization.std", np.asarray(args.std, dtype=np.float32)))
    out.append(("__test__.input", test_input))
    out.append(("__test__.output", test_output))
    return out


def add_common_args(ap, default_size_help):
    ap.add_argument("-o", "--output", required=True, help="the galnet .safetensors file to write")
    ap.add_argument("--mean", type=float, nargs=3, metavar=("R", "G", "B"),
                    help="per-channel input normalisation mean, stored as normalization.mean")
    ap.add_argument("--std", type=float, nargs=3, metavar=("R", "G", "B"),
                    help="per-channel input normalisation std, stored as normalization.std")
    ap.add_argument("--seed", type=int, default=0, help="seed of the test-vector input (default 0)")
    ap.add_argument("--test-size", type=int, default=None, help=default_size_help)


def check_common_args(args):
    if (args.mean is None) != (args.std is None):
        raise ExportError("--mean and --std go together")
    if args.std is not None and min(args.std) <= 0:
        raise ExportError("--std values must be positive")


# ----------------------------------------------------------------------------- loading
def _is_state_dict(obj):
    return isinstance(obj, dict) and len(obj) > 0 and all(
        isinstance(k, str) and torch.is_tensor(v) for k, v in obj.items())


def load_source(path, allow_pickle=False):
    """Returns (state_dict, hints). hints may hold 'k' (from a pickled SFNet module)."""
    if not os.path.isfile(path):
        raise ExportError(f"{path}: no such file")
    hints = {}
    if path.endswith(".safetensors"):
        from safetensors.torch import load_file
        try:
            obj = load_file(path)
        except Exception as e:  # noqa: BLE001
            raise ExportError(f"{path}: not a readable safetensors file: {e}") from e
    else:
        try:
            obj = torch.load(path, map_location="cpu", weights_only=True)
        except Exception as e:  # noqa: BLE001
            if not allow_pickle:
                why = re.sub(r"\x1b\[[0-9;]*m", "", str(e)).splitlines()[0][:160]
                raise ExportError(
                    f"{path}: cannot be read as plain tensors ({type(e).__name__}: {why}). If it is a pickled module or learner and you "
                    f"trust it, re-run with --allow-pickle (this executes code from the file).") from e
            try:
                obj = torch.load(path, map_location="cpu", weights_only=False)
            except Exception as e2:  # noqa: BLE001
                raise ExportError(f"{path}: cannot be unpickled: {type(e2).__name__}: {e2}. A pickled "
                                  f"module needs its class importable; save its state_dict() instead.") from e2
    # Unwrap: fastai Learner (.model), modules, {'model': ...} (fastai learn.save),
    # {'state_dict': ...} (Lightning and others).
    for _ in range(4):
        if isinstance(obj, nn.Module):
            for name in ("k", "topk"):
                v = getattr(obj, name, None)
                if isinstance(v, int):
                    hints["k"] = v
                elif isinstance(v, nn.Module) and isinstance(getattr(v, "k", None), int):
                    hints["k"] = v.k
            obj = obj.state_dict()
            break
        if not isinstance(obj, dict) and isinstance(getattr(obj, "model", None), nn.Module):
            obj = obj.model
            continue
        if isinstance(obj, dict) and not _is_state_dict(obj):
            for key in ("model", "state_dict", "model_state_dict"):
                if key in obj and (isinstance(obj[key], (dict, nn.Module))):
                    obj = obj[key]
                    break
            else:
                break
            continue
        break
    if not _is_state_dict(obj):
        if isinstance(obj, dict):
            bad = next((k for k, v in obj.items() if not (isinstance(k, str) and torch.is_tensor(v))), None)
            raise ExportError(f"{path}: not a state dict: entry {bad!r} is a {type(obj.get(bad)).__name__}, "
                              f"not a tensor (expected a state dict, a module, or {{'model': state_dict, ...}})")
        raise ExportError(f"{path}: holds a {type(obj).__name__}, not a state dict or module")
    sd = collections.OrderedDict((k, v.detach().cpu()) for k, v in obj.items())
    for prefix in ("module.", "_orig_mod."):  # DataParallel / torch.compile wrappers
        if all(k.startswith(prefix) for k in sd):
            sd = collections.OrderedDict((k[len(prefix):], v) for k, v in sd.items())
    return sd, hints


# ------------------------------------------------------------------- models rebuilt in PyTorch
class TorchvisionResNet(ResNet):
    """torchvision's ResNet (its own _make_layer, BasicBlock and forward) at any stem width;
    width 64 is exactly torchvision.models.resnet18/34. num_classes None: no fc."""

    def __init__(self, width, blocks, num_classes=None):
        nn.Module.__init__(self)
        self._norm_layer = nn.BatchNorm2d
        self.inplanes, self.dilation, self.groups, self.base_width = width, 1, 1, 64
        self.conv1 = nn.Conv2d(3, width, kernel_size=7, stride=2, padding=3, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        self.layer1 = self._make_layer(BasicBlock, width, blocks[0])
        self.layer2 = self._make_layer(BasicBlock, 2 * width, blocks[1], stride=2)
        self.layer3 = self._make_layer(BasicBlock, 4 * width, blocks[2], stride=2)
        self.layer4 = self._make_layer(BasicBlock, 8 * width, blocks[3], stride=2)
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        if num_classes is not None:
            self.fc = nn.Linear(8 * width, num_classes)

    def features(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        return self.layer4(self.layer3(self.layer2(self.layer1(x))))


class ResNetBodyModel(TorchvisionResNet):
    def forward(self, x):
        return self.features(x)


class SFNetModel(TorchvisionResNet):
    """body -> avgpool -> flatten -> ReLU -> top-k (values kept in place) -> fc."""

    def __init__(self, width, blocks, k, outputs):
        super().__init__(width, blocks, outputs)
        self.k = k

    def sparse(self, x):
        h = torch.relu(torch.flatten(self.avgpool(self.features(x)), 1))
        v, i = h.topk(self.k, dim=1)
        return torch.zeros_like(h).scatter(1, i, v), h

    def forward(self, x):
        return self.fc(self.sparse(x)[0])


class ConcatPool(nn.Module):
    """fastai AdaptiveConcatPool2d(1): cat([max, avg], 1)."""

    def forward(self, x):
        return torch.cat([nn.functional.adaptive_max_pool2d(x, 1), nn.functional.adaptive_avg_pool2d(x, 1)], 1)


class WuBoadaModel(TorchvisionResNet):
    def __init__(self, width, blocks, hidden, outputs):
        super().__init__(width, blocks)
        nf = 16 * width
        self.head = nn.Sequential(ConcatPool(), nn.Flatten(), nn.BatchNorm1d(nf), nn.Dropout(0.25),
                                  nn.Linear(nf, hidden), nn.ReLU(inplace=True), nn.BatchNorm1d(hidden),
                                  nn.Dropout(0.5), nn.Linear(hidden, outputs))

    def forward(self, x):
        return self.head(self.features(x))


class FlattenChannelsLast(nn.Module):
    """Keras Flatten of an NHWC tensor, on NCHW: permute(0,2,3,1).reshape(N, -1)."""

    def forward(self, x):
        return x.permute(0, 2, 3, 1).reshape(x.shape[0], -1)


def spin_cnn_model(div):
    c = [64 // div, 96 // div, 128 // div, 192 // div, 192 // div]
    d = [128 // div, 64 // div]
    return nn.Sequential(
        nn.Conv2d(3, c[0], 6), nn.ReLU(), nn.Dropout(0.5),                           # 0-2
        nn.Conv2d(c[0], c[1], 5), nn.ReLU(), nn.MaxPool2d(2, 2), nn.Dropout(0.25),   # 3-6
        nn.Conv2d(c[1], c[2], 2), nn.ReLU(), nn.MaxPool2d(2, 2), nn.Dropout(0.25),   # 7-10
        nn.Conv2d(c[2], c[3], 2), nn.ReLU(), nn.Dropout(0.25),                       # 11-13
        nn.Conv2d(c[3], c[4], 2), nn.ReLU(), nn.Dropout(0.25),                       # 14-16
        FlattenChannelsLast(),                                                       # 17
        nn.Linear(15 * 15 * c[4], d[0]), nn.ReLU(), nn.Dropout(0.25),                # 18-20
        nn.Linear(d[0], d[1]),                                                       # 21
        nn.Linear(d[1], 1))                                                          # 22


# ----------------------------------------------------------------------------- detection
def detect_kind(sd, path):
    keys = list(sd)
    ks = set(keys)
    if any(k.startswith("resnet.") for k in keys):
        return "sfnet", "resnet18topk"
    if "0.0.weight" in ks and any(k.startswith("0.4.") for k in keys):
        return ("wu_boada" if any(k.startswith("1.") for k in keys) else "resnet_body"), "fastai_v1"
    if "0.weight" in ks and "4.0.conv1.weight" in ks:
        return ("wu_boada" if any(_top_index(k) >= 8 for k in keys) else "resnet_body"), "fastai_0.7"
    if "conv1.weight" in ks and "layer1.0.conv1.weight" in ks:
        return ("wu_boada" if any(k.startswith("head.") for k in keys) else "resnet_body"), "torchvision"
    if "0.weight" in ks and "22.weight" in ks and "18.weight" in ks:
        return "spin_cnn", "galnet_sequential"
    raise ExportError(f"{path}: cannot recognise the layout from the keys (first key {keys[0]!r}); "
                      f"expected torchvision ResNet (conv1.*, layer1.*), SFNet ResNet18TopK (resnet.*, "
                      f"trunk.*), a fastai learner (0.0.*, 1.*; or 0.*..16.*) or sdss_CNN (0.* .. 22.*). "
                      f"Use --kind to force one.")


def _top_index(key):
    head = key.split(".", 1)[0]
    return int(head) if head.isdigit() else -1


def layout_for_kind(sd, kind, path):
    """--kind given: pick the layout from the keys."""
    ks = set(sd)
    if any(k.startswith("resnet.") for k in ks):
        return "resnet18topk"
    if kind == "sfnet":
        return "torchvision"
    if kind == "spin_cnn":
        return "galnet_sequential"
    if "0.0.weight" in ks:
        return "fastai_v1"
    if "0.weight" in ks and "4.0.conv1.weight" in ks:
        return "fastai_0.7"
    if "conv1.weight" in ks:
        return "torchvision"
    raise ExportError(f"{path}: --kind {kind}: no ResNet stem found (no conv1.weight, 0.0.weight or 0.weight)")


# ----------------------------------------------------------------------------- key mapping
RESNET_CHILD = {"0": "conv1", "1": "bn1", "4": "layer1", "5": "layer2", "6": "layer3", "7": "layer4"}


def _drop_nbt(sd):
    return collections.OrderedDict((k, v) for k, v in sd.items() if not k.endswith("num_batches_tracked"))


def _unexpected(path, key, why):
    return ExportError(f"{path}: unexpected key {key!r}: {why}")


def map_body_child(rest, key, path, what):
    """'<child>.<param...>' with a fastai/trunk child index -> torchvision name."""
    child, _, tail = rest.partition(".")
    if child not in RESNET_CHILD or not tail:
        raise _unexpected(path, key, f"{what} child {child!r} is not one of conv1 (0), bn1 (1), "
                                     f"layer1..4 (4..7)")
    return RESNET_CHILD[child] + "." + tail


def map_head(entries, path, fill_bias):
    """entries: [(index, param, tensor, original key)] of the head's modules.
    Classifies modules by their tensors: BatchNorm1d (running_mean) or Linear (2-D weight);
    the sequence must be BN, Linear, BN, Linear -> head.2, head.4, head.6, head.8."""
    mods = collections.OrderedDict()
    for idx, param, t, key in entries:
        mods.setdefault(idx, {})[param] = (t, key)
    kinds = []
    for idx, params in mods.items():
        if "running_mean" in params:
            kinds.append((idx, "bn"))
        elif "weight" in params and params["weight"][0].dim() == 2:
            kinds.append((idx, "linear"))
        else:
            key = next(iter(params.values()))[1]
            raise _unexpected(path, key, "head module is neither a BatchNorm1d nor a Linear")
    want = ["bn", "linear", "bn", "linear"]
    got = [k for _, k in kinds]
    if got != want:
        bad = next((i for i in range(len(got)) if i >= len(want) or got[i] != want[i]), len(got) - 1)
        key = next(iter(mods[kinds[bad][0]].values()))[1]
        raise _unexpected(path, key, f"the head's modules are {got}, expected the fastai head "
                                     f"BatchNorm1d, Linear, BatchNorm1d, Linear")
    out = collections.OrderedDict()
    notes = []
    for (idx, kind), target in zip(kinds, (2, 4, 6, 8)):
        params = mods[idx]
        allowed = {"weight", "bias", "running_mean", "running_var"} if kind == "bn" else {"weight", "bias"}
        for p, (t, key) in params.items():
            if p not in allowed:
                raise _unexpected(path, key, f"a head {kind} has no tensor {p!r}")
            out[f"head.{target}.{p}"] = t
        if kind == "linear" and "bias" not in params:
            if not fill_bias:
                raise ExportError(f"{path}: head Linear {idx} has no bias")
            out[f"head.{target}.bias"] = torch.zeros(params["weight"][0].shape[0])
            notes.append(f"head.{target}.bias")
    if notes:
        print(f"note: {', '.join(notes)} absent (fastai 2 LinBnDrop uses bias=False after a batch norm); "
              f"written as zeros, which is exact", file=sys.stderr)
    return out, notes


def map_state(sd, kind, layout, path, keep_fc=False, nchw_flatten=False):
    """Returns (galnet-named OrderedDict, extra metadata)."""
    sd = _drop_nbt(sd)
    out = collections.OrderedDict()
    extra = {"galnet.layout": layout}
    origin = {}  # galnet key -> source key, for messages

    def put(k, v, src):
        if k in out:
            raise _unexpected(path, src, f"maps to {k!r}, which another key already gave")
        out[k] = v
        origin[k] = src

    if kind == "spin_cnn":
        for key, t in sd.items():
            idx, _, p = key.partition(".")
            if not idx.isdigit() or int(idx) not in SPIN_INDICES or p not in ("weight", "bias"):
                raise _unexpected(path, key, "sdss_CNN keys are 0,3,7,11,14 (convs) and 18,21,22 (dense) "
                                             ".weight/.bias")
            put(key, t, key)
        if nchw_flatten:
            w = out["18.weight"]
            c = out["14.weight"].shape[0]
            hw = w.shape[1] // c
            side = int(round(math.sqrt(hw)))
            # column order NCHW (c, h, w) -> channel-last (h, w, c)
            out["18.weight"] = w.reshape(w.shape[0], c, side, side).permute(0, 2, 3, 1).reshape(w.shape[0], -1)
            extra["galnet.note"] = "18.weight columns permuted from NCHW to channel-last flatten order"
        return _order_spin(out, path), extra, origin

    head_entries = []
    fc = {}
    if layout == "torchvision":
        for key, t in sd.items():
            if key.startswith("fc."):
                fc[key] = t
            elif key.startswith("head."):
                idx, _, p = key[5:].partition(".")
                if not idx.isdigit():
                    raise _unexpected(path, key, "head keys are head.<index>.<tensor>")
                head_entries.append((int(idx), p, t, key))
            else:
                put(key, t, key)
    elif layout == "resnet18topk":
        trunk = {}
        for key, t in sd.items():
            if key.startswith("resnet.fc."):
                fc["fc." + key[len("resnet.fc."):]] = t
            elif key.startswith("resnet."):
                put(key[len("resnet."):], t, key)
            elif key.startswith("trunk."):
                trunk[key] = t
            else:
                raise _unexpected(path, key, "a ResNet18TopK state dict holds only resnet.* and trunk.* keys")
        for key, t in trunk.items():
            name = map_body_child(key[len("trunk."):], key, path, "trunk")
            if name not in out:
                raise _unexpected(path, key, f"its resnet counterpart 'resnet.{name}' is absent")
            if out[name].shape != t.shape or not torch.equal(out[name], t):
                raise _unexpected(path, key, f"differs from 'resnet.{name}'; trunk and resnet must share "
                                             f"their modules in ResNet18TopK")
        if trunk:
            body_keys = {k for k in out}
            mapped = {map_body_child(k[len("trunk."):], k, path, "trunk") for k in trunk}
            if mapped != body_keys:
                miss = sorted(body_keys - mapped)[0]
                raise ExportError(f"{path}: trunk.* lacks the counterpart of 'resnet.{miss}'")
            extra["galnet.trunk"] = f"{len(trunk)} duplicate trunk.* tensors checked identical and dropped"
        if not fc:
            raise ExportError(f"{path}: ResNet18TopK without resnet.fc.weight")
    elif layout == "fastai_v1":
        for key, t in sd.items():
            part, _, rest = key.partition(".")
            if part == "0":
                put(map_body_child(rest, key, path, "body (0.*)"), t, key)
            elif part == "1":
                idx, _, p = rest.partition(".")
                if not idx.isdigit() or not p:
                    raise _unexpected(path, key, "head keys are 1.<index>.<tensor>")
                head_entries.append((int(idx), p, t, key))
            else:
                raise _unexpected(path, key, "a fastai learner's model is Sequential(body 0.*, head 1.*)")
    elif layout == "fastai_0.7":
        for key, t in sd.items():
            idx = _top_index(key)
            if 0 <= idx <= 7:
                put(map_body_child(key, key, path, "body"), t, key)
            elif idx >= 8:
                _, _, p = key.partition(".")
                if "." in p:
                    raise _unexpected(path, key, "the fastai 0.7 head holds flat modules (index.tensor)")
                head_entries.append((idx, p, t, key))
            else:
                raise _unexpected(path, key, "a fastai 0.7 model is a flat Sequential 0..16")
    else:
        raise ExportError(f"{path}: layout {layout} cannot be exported as {kind}")

    if kind == "wu_boada":
        if fc:
            raise _unexpected(path, next(iter(fc)), "a Wu & Boada model has a fastai head, not an fc")
        if not head_entries:
            raise ExportError(f"{path}: --kind wu_boada but no head tensors found")
        head, notes = map_head(head_entries, path, fill_bias=True)
        if notes:
            extra["galnet.note"] = "zero biases written for " + ",".join(notes)
        for k, v in head.items():
            put(k, v, k)
    elif head_entries:
        raise _unexpected(path, head_entries[0][3], f"a {kind} has no fastai head (use --kind wu_boada)")
    elif kind == "sfnet":
        if not fc:
            raise ExportError(f"{path}: an SFNet needs fc.weight / fc.bias")
        for k, v in fc.items():
            put(k, v, k)
    elif kind == "resnet_body" and fc and keep_fc:
        for k, v in fc.items():
            put(k, v, k)
        extra["galnet.fc"] = "kept (fc.weight, fc.bias): not part of ResNetBody; load with an ignore rule"
    elif kind == "resnet_body" and fc:
        extra["galnet.fc"] = "dropped"
    return out, extra, origin


def _order_spin(out, path):
    res = collections.OrderedDict()
    for i in SPIN_INDICES:
        for p in ("weight", "bias"):
            k = f"{i}.{p}"
            if k not in out:
                raise ExportError(f"{path}: sdss_CNN tensor {k!r} is missing")
            res[k] = out[k]
    return res


def infer_resnet(state, path):
    if "conv1.weight" not in state:
        raise ExportError(f"{path}: no ResNet stem (conv1.weight) after mapping")
    w = state["conv1.weight"]
    if w.dim() != 4 or tuple(w.shape[1:]) != (3, 7, 7):
        raise ExportError(f"{path}: conv1.weight has shape {list(w.shape)}, expected [W, 3, 7, 7]")
    width = int(w.shape[0])
    blocks = []
    for s in range(1, 5):
        idx = {int(k.split(".")[1]) for k in state if k.startswith(f"layer{s}.") and k.split(".")[1].isdigit()}
        if not idx or idx != set(range(max(idx) + 1)):
            raise ExportError(f"{path}: layer{s} blocks are {sorted(idx)}, expected 0..n-1")
        blocks.append(max(idx) + 1)
    return width, blocks


# ----------------------------------------------------------------------------- rebuild + test
def build_model(kind, state, path, k=None):
    """The PyTorch model of `kind` whose state dict is `state` (strictly, but for the
    num_batches_tracked buffers galnet does not keep). Returns (model, info)."""
    info = {}
    if kind == "spin_cnn":
        c0 = state["0.weight"].shape[0]
        if 64 % c0:
            raise ExportError(f"{path}: 0.weight has {c0} filters; sdss_CNN widths are 64/div")
        div = 64 // c0
        model = spin_cnn_model(div)
        info.update({"galnet.width_div": div, "galnet.width": c0, "galnet.outputs": 1})
    else:
        width, blocks = infer_resnet(state, path)
        info.update({"galnet.width": width, "galnet.blocks": ",".join(map(str, blocks))})
        if kind == "resnet_body":
            model = ResNetBodyModel(width, blocks)
            info["galnet.outputs"] = 8 * width
            if "fc.weight" in state:
                model.fc = nn.Linear(state["fc.weight"].shape[1], state["fc.weight"].shape[0])
        elif kind == "sfnet":
            if k is None:
                raise ExportError(f"{path}: an SFNet needs k (the number of kept features): pass --k, or "
                                  f"name the file ...topk_K... as the published weights are")
            outputs = int(state["fc.weight"].shape[0])
            model = SFNetModel(width, blocks, k, outputs)
            info.update({"galnet.outputs": outputs, "galnet.k": k})
            if blocks != [2, 2, 2, 2]:
                print(f"warning: {path}: blocks {blocks}; galnet's SFNet is a ResNet-18 (2,2,2,2)", file=sys.stderr)
        elif kind == "wu_boada":
            hidden = int(state["head.4.weight"].shape[0])
            outputs = int(state["head.8.weight"].shape[0])
            model = WuBoadaModel(width, blocks, hidden, outputs)
            info.update({"galnet.outputs": outputs, "galnet.head_hidden": hidden})
            if blocks != [3, 4, 6, 3]:
                print(f"warning: {path}: blocks {blocks}; galnet's WuBoada is a ResNet-34 (3,4,6,3)",
                      file=sys.stderr)
            if hidden != 8 * width:
                print(f"warning: {path}: head hidden width {hidden}; galnet's WuBoada uses 8W = {8 * width}",
                      file=sys.stderr)
        else:
            raise ExportError(f"unknown kind {kind}")
    want = {k for k in model.state_dict() if not k.endswith("num_batches_tracked")}
    have = set(state)
    if have - want:
        raise _unexpected(path, sorted(have - want)[0], f"no such tensor in a {kind} of this width/depth")
    if want - have:
        raise ExportError(f"{path}: tensor {sorted(want - have)[0]!r} is missing for a {kind}")
    for name, t in model.state_dict().items():
        if name in state and tuple(state[name].shape) != tuple(t.shape):
            raise ExportError(f"{path}: tensor {name!r} has shape {list(state[name].shape)}, a {kind} of "
                              f"width {info.get('galnet.width')} needs {list(t.shape)}")
    model.load_state_dict({n: v.to(torch.float32).to(torch.float64) for n, v in state.items()}, strict=False)
    return model.double().eval(), info


def test_input(kind, size, seed):
    g = torch.Generator().manual_seed(seed)
    if kind == "spin_cnn":  # pixels / 255
        return torch.rand(2, 3, size, size, generator=g, dtype=torch.float32)
    return torch.randn(2, 3, size, size, generator=g, dtype=torch.float32)  # normalised images


@torch.no_grad()
def run_test_vector(model, kind, x):
    """float64 reference from the float32-rounded weights; also a float32 replay and, for
    SFNet, the top-k margin (gap between the k-th and (k+1)-th feature / max)."""
    y64 = model(x.double())  # a resnet_body's forward is the body alone, even with a kept fc
    m32 = _clone_float(model)
    y32 = m32(x)
    notes = {"float32_replay_error": rel_error(y32.numpy(), y64.numpy())}
    if kind == "sfnet":
        _, h = model.sparse(x.double())
        s = h.sort(dim=1, descending=True).values
        notes["topk_margin"] = float(((s[:, model.k - 1] - s[:, model.k]).min() / s.abs().max().clamp_min(1e-300)))
    notes["relu_coverage"] = relu_coverage(model, x.double())
    if not torch.isfinite(y64).all():
        raise ExportError("the test-vector output is not finite: the weights overflow on a random input")
    return y64.to(torch.float32), notes


@torch.no_grad()
def relu_coverage(model, x):
    """(active, total) over every call of every nn.ReLU: channels (or dense units) positive
    somewhere in the batch. Weights feeding only never-active units are not exercised by the
    test vector, so a mapping error confined to them would go unnoticed."""
    stats = [0, 0]

    def hook(mod, inp, out):
        a = (out > 0).any(dim=0)
        if a.dim() > 1:
            a = a.flatten(1).any(dim=1)
        stats[0] += int(a.sum())
        stats[1] += a.numel()
    hooks = [m.register_forward_hook(hook) for m in model.modules() if isinstance(m, nn.ReLU)]
    try:
        model(x)
    finally:
        for h in hooks:
            h.remove()
    return tuple(stats)


def coverage_text(cov):
    return f"{cov[0]}/{cov[1]} ReLU channels/units active on the test input"


def _clone_float(model):
    import copy
    return copy.deepcopy(model).float().eval()


def infer_k(path, hints, k_arg):
    if k_arg is not None:
        return k_arg
    if "k" in hints:
        return hints["k"]
    m = re.search(r"topk[_-]?(\d+)", os.path.basename(path), re.IGNORECASE)
    return int(m.group(1)) if m else None


# ----------------------------------------------------------------------------- main
def export(args):
    check_common_args(args)
    sd, hints = load_source(args.source, args.allow_pickle)
    if args.kind:
        kind = args.kind
        layout = layout_for_kind(sd, kind, args.source)
    else:
        kind, layout = detect_kind(sd, args.source)
    state, extra, _ = map_state(sd, kind, layout, args.source, keep_fc=args.keep_fc,
                                nchw_flatten=args.nchw_flatten)
    k = infer_k(args.source, hints, args.k) if kind == "sfnet" else None
    if kind == "sfnet" and k is not None and not 1 <= k <= state["fc.weight"].shape[1]:
        raise ExportError(f"{args.source}: k = {k} outside 1..{state['fc.weight'].shape[1]}")
    model, info = build_model(kind, state, args.source, k)
    size = args.test_size or (80 if kind == "spin_cnn" else 64)
    if kind == "spin_cnn" and size != 80:
        raise ExportError("sdss_CNN takes 80x80 inputs only (--test-size 80)")
    if kind != "spin_cnn" and size < 32:
        raise ExportError("--test-size must be at least 32 for a ResNet")
    x = test_input(kind, size, args.seed)
    y, notes = run_test_vector(model, kind, x)

    md = common_metadata(args, kind, args.source)
    md.update({k2: str(v) for k2, v in info.items()})
    md.update(extra)
    md.update({"galnet.exporter": f"{EXPORTER} (torch {torch.__version__})",
               "galnet.test_seed": str(args.seed), "galnet.test_size": str(size),
               "galnet.test_reference": "PyTorch float64 forward in eval mode, rounded to F32",
               "galnet.test_input": "rand [0,1)" if kind == "spin_cnn" else "randn",
               "galnet.test_coverage": coverage_text(notes["relu_coverage"])})
    # galnet's order: the rebuilt model's state_dict order (the same as galnet's visit()).
    order = [n for n in model.state_dict() if n in state]
    tensors = [(n, state[n].to(torch.float32).numpy()) for n in order]
    write_safetensors(args.output, finish_tensors(tensors, x.numpy(), y.numpy(), args), md)
    nparams = sum(v.numel() for v in state.values())
    print(f"{args.output}: kind {kind} (layout {layout}), width {info.get('galnet.width')}, "
          f"blocks {info.get('galnet.blocks', '-')}, outputs {info.get('galnet.outputs')}"
          + (f", k {k}" if k else "") + f", {len(state)} tensors / {nparams} values; test vector "
          f"{tuple(x.shape)} -> {tuple(y.shape)}; float32 replay error {notes['float32_replay_error']:.1e}"
          + (f", top-k margin {notes['topk_margin']:.1e}" if "topk_margin" in notes else "")
          + f"; {coverage_text(notes['relu_coverage'])}")
    if notes.get("topk_margin", 1.0) < 1e-5:
        print("warning: the test input nearly ties at the top-k cut; float32 may keep another feature. "
              "Try another --seed.", file=sys.stderr)
    return {"kind": kind, "layout": layout, "notes": notes, "state": state, "input": x, "output": y}


def parser():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    ap.add_argument("source", help="state dict / module / fastai learn.save file (.pth, .pt, .safetensors)")
    ap.add_argument("--kind", choices=KINDS, help="force the kind instead of detecting it from the keys")
    ap.add_argument("--k", type=int, help="SFNet: number of features kept by top-k")
    ap.add_argument("--keep-fc", action="store_true", help="resnet_body: keep fc.weight / fc.bias")
    ap.add_argument("--nchw-flatten", action="store_true",
                    help="spin_cnn: the PyTorch port flattened NCHW; permute 18.weight to galnet's channel-last order")
    ap.add_argument("--allow-pickle", action="store_true",
                    help="allow unpickling arbitrary objects (a saved module or learner); only for trusted files")
    add_common_args(ap, "test-vector image size (default 64 for ResNets, 80 for sdss_CNN)")
    return ap


def main(argv=None):
    torch.set_num_threads(1)
    args = parser().parse_args(argv)
    try:
        return export(args)
    except ExportError as e:
        print(f"export_torch.py: error: {e}", file=sys.stderr)
        if argv is not None:
            raise
        sys.exit(2)


if __name__ == "__main__":
    main()
