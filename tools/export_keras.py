#!/usr/bin/env python3
"""Convert the sdss_CNN Keras spin network to a galnet safetensors file (SpinCNN keys).

    tools/.venv/bin/python tools/export_keras.py SOURCE -o OUT.safetensors [options]
    tools/.venv/bin/python tools/export_keras.py --build-random OUT.h5 --width-div 8 [--seed S]

SOURCE is a Keras model file (.keras, or .h5 saved with model.save) or a weights-only .h5
(Keras 2 `model.save_weights("x.h5")`, or Keras 3 `.weights.h5`); for weights only, the
network is rebuilt here exactly as MODELS.md describes (width from the first kernel's shape).
The architecture is checked layer by layer (kernel sizes, 'valid' padding, strides, pools,
activations, widths 64,96,128,192,192 / 128,64,1 divided by --width-div).

Mapping (Keras layer order -> galnet::models::SpinCNN Sequential index):
  Conv2D 1..5 -> 0, 3, 7, 11, 14: kernel HWIO [kh,kw,in,out] -> OIHW [out,in,kh,kw]
  Dense  1..3 -> 18, 21, 22:      kernel [in,out] -> [out,in]; biases unchanged
The first Dense needs NO row permutation: galnet flattens channel-last ([N,H,W,C] order), as
Keras' Flatten does on its NHWC tensors. The exporter proves it on every run: the converted
tensors in a PyTorch replay with a channel-last flatten reproduce Keras' output, while a
plain NCHW flatten does not.

Test vector: a seeded batch of 2 images with pixels in [0,1) (80x80 exactly), run BY KERAS
(NHWC, training=False, float32); stored NCHW as `__test__.input` with Keras' output as
`__test__.output`. Metadata and the optional --mean/--std are as in export_torch.py.

--build-random writes a random sdss_CNN (Keras' own initialisers, plus small random biases) as
a Keras-2-style weights-only .h5 (--save weights, default), or a full model (--save model;
.h5 or .keras): the input of tools/make_export_fixtures.py.
"""
import argparse
import os
import sys

os.environ.setdefault("TF_NUM_INTRAOP_THREADS", "1")
os.environ.setdefault("TF_NUM_INTEROP_THREADS", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")  # plain kernels: the same Keras reference on every CPU
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import numpy as np  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import export_torch as et  # noqa: E402
from export_torch import ExportError  # noqa: E402

EXPORTER = "tools/export_keras.py"
CONV = [(64, 6), (96, 5), (128, 2), (192, 2), (192, 2)]
DENSE = [128, 64, 1]
# The network without dropouts: what galnet computes at inference.
PROGRAM = ["conv", "conv", "pool", "conv", "pool", "conv", "conv", "flatten", "dense", "dense", "dense"]
CONV_INDEX = [0, 3, 7, 11, 14]
DENSE_INDEX = [18, 21, 22]


def _keras():
    import keras  # noqa: F401  (tensorflow backend, one thread)
    return keras


def sdss_cnn(div=1):
    """sdss_CNN exactly per MODELS.md, every width divided by `div`."""
    keras = _keras()
    from keras import layers
    c = [n // div for n, _ in CONV]
    d = [DENSE[0] // div, DENSE[1] // div]
    return keras.Sequential([
        keras.Input((80, 80, 3)),
        layers.Conv2D(c[0], (6, 6), activation="relu", padding="valid"), layers.Dropout(0.5),
        layers.Conv2D(c[1], (5, 5), activation="relu", padding="valid"),
        layers.MaxPooling2D(pool_size=(2, 2)), layers.Dropout(0.25),
        layers.Conv2D(c[2], (2, 2), activation="relu", padding="valid"),
        layers.MaxPooling2D(pool_size=(2, 2)), layers.Dropout(0.25),
        layers.Conv2D(c[3], (2, 2), activation="relu", padding="valid"), layers.Dropout(0.25),
        layers.Conv2D(c[4], (2, 2), activation="relu", padding="valid"), layers.Dropout(0.25),
        layers.Flatten(),
        layers.Dense(d[0], activation="relu"), layers.Dropout(0.25),
        layers.Dense(d[1]),
        layers.Dense(1),
    ], name="sdss_CNN")


# ----------------------------------------------------------------------------- loading
def _h5_div(path):
    """Width divisor from a weights file: the 6x6x3xC kernel of the first convolution."""
    import h5py
    found = []
    with h5py.File(path, "r") as f:
        def visit(name, obj):
            if isinstance(obj, h5py.Dataset) and obj.ndim == 4 and tuple(obj.shape[:3]) == (6, 6, 3):
                found.append((name, obj.shape[3]))
        f.visititems(visit)
    if len(found) != 1:
        raise ExportError(f"{path}: expected exactly one 6x6x3xC kernel (the first sdss_CNN convolution), "
                          f"found {[n for n, _ in found] or 'none'}")
    c = int(found[0][1])
    if c <= 0 or 64 % c:
        raise ExportError(f"{path}: first convolution has {c} filters; sdss_CNN has 64/div")
    return 64 // c


def load_keras(path, width_div=None):
    """Returns (model, how) for a model file or a weights-only file."""
    keras = _keras()
    if not os.path.isfile(path):
        raise ExportError(f"{path}: no such file")
    if path.endswith(".keras"):
        try:
            return keras.models.load_model(path, compile=False), "keras model (.keras)"
        except Exception as e:  # noqa: BLE001
            raise ExportError(f"{path}: cannot load the Keras model: {type(e).__name__}: {e}") from e
    import h5py
    try:
        with h5py.File(path, "r") as f:
            has_config = "model_config" in f.attrs
    except Exception as e:  # noqa: BLE001
        raise ExportError(f"{path}: not an HDF5 file: {e}") from e
    if has_config:
        try:
            return keras.models.load_model(path, compile=False), "keras model (.h5)"
        except Exception as e:  # noqa: BLE001
            print(f"note: {path}: the stored model does not rebuild ({type(e).__name__}: {e}); "
                  f"using its weights with the reference architecture", file=sys.stderr)
    div = width_div or _h5_div(path)
    model = sdss_cnn(div)
    try:
        model.load_weights(path)
    except Exception as e:  # noqa: BLE001
        raise ExportError(f"{path}: the weights do not fit sdss_CNN at width 1/{div}: "
                          f"{type(e).__name__}: {e}") from e
    return model, f"weights only, sdss_CNN rebuilt at 1/{div} width"


# ----------------------------------------------------------------------------- checking
def _cfg(layer):
    return layer.get_config()


def _act(layer):
    a = _cfg(layer).get("activation", "linear")
    return a if isinstance(a, str) else str(a)


def program_of(model, path):
    """The model's layers without dropouts and with separate activations folded in:
    [(op, layer, activation)]. Checks every layer against sdss_CNN."""
    keras = _keras()
    L = keras.layers
    ops = []
    for layer in model.layers:
        where = f"{path}: layer {layer.name!r} ({type(layer).__name__})"
        if isinstance(layer, (L.InputLayer, L.Dropout, L.SpatialDropout2D, L.GaussianNoise,
                              L.GaussianDropout, L.AlphaDropout)):
            continue  # identity at inference
        if isinstance(layer, (L.Activation, L.ReLU)):
            a = "relu" if isinstance(layer, L.ReLU) else _act(layer)
            if not ops or ops[-1][2] != "linear" or a != "relu":
                raise ExportError(f"{where}: only a ReLU right after a linear Conv2D/Dense is supported")
            ops[-1] = (ops[-1][0], ops[-1][1], "relu")
            continue
        cfg = _cfg(layer)
        if isinstance(layer, L.Conv2D):
            if (tuple(cfg["strides"]) != (1, 1) or cfg["padding"] != "valid" or tuple(cfg["dilation_rate"]) != (1, 1)
                    or cfg.get("groups", 1) != 1 or not cfg["use_bias"]
                    or cfg.get("data_format", "channels_last") != "channels_last"):
                raise ExportError(f"{where}: sdss_CNN convolutions are stride 1, 'valid', dilation 1, with "
                                  f"bias, channels_last; got {cfg}")
            ops.append(("conv", layer, _act(layer)))
        elif isinstance(layer, L.MaxPooling2D):
            if (tuple(cfg["pool_size"]) != (2, 2) or tuple(cfg["strides"] or cfg["pool_size"]) != (2, 2)
                    or cfg["padding"] != "valid" or cfg.get("data_format", "channels_last") != "channels_last"):
                raise ExportError(f"{where}: sdss_CNN pools are 2x2, stride 2, 'valid'; got {cfg}")
            ops.append(("pool", layer, "linear"))
        elif isinstance(layer, L.Flatten):
            if cfg.get("data_format", "channels_last") != "channels_last":
                raise ExportError(f"{where}: Flatten must see channels_last data")
            ops.append(("flatten", layer, "linear"))
        elif isinstance(layer, L.Dense):
            if not cfg["use_bias"]:
                raise ExportError(f"{where}: sdss_CNN dense layers have a bias")
            ops.append(("dense", layer, _act(layer)))
        else:
            raise ExportError(f"{where}: not part of sdss_CNN")
    got = [o for o, _, _ in ops]
    if got != PROGRAM:
        raise ExportError(f"{path}: the layers (dropouts aside) are {got}; sdss_CNN is {PROGRAM}")
    want_act = ["relu"] * 5 + ["relu", "linear", "linear"]
    weighted = [(o, l, a) for o, l, a in ops if o in ("conv", "dense")]
    for (o, layer, a), w in zip(weighted, want_act):
        if a != w:
            raise ExportError(f"{path}: layer {layer.name!r} has activation {a!r}, sdss_CNN has {w!r}")
    shape = tuple(model.inputs[0].shape[1:]) if model.inputs else None
    if shape is not None and shape != (80, 80, 3):
        raise ExportError(f"{path}: input shape {shape}; sdss_CNN takes 80x80x3")
    return weighted


def convert(weighted, path):
    """Keras kernels -> galnet tensors in SpinCNN order, and the width divisor."""
    c0 = weighted[0][1].get_weights()[0].shape[3]
    if 64 % c0:
        raise ExportError(f"{path}: first convolution has {c0} filters; sdss_CNN has 64/div")
    div = 64 // c0
    tensors = []
    for i, (idx, (op, layer, _)) in enumerate(zip(CONV_INDEX + DENSE_INDEX, weighted)):
        w = layer.get_weights()
        if len(w) != 2:
            raise ExportError(f"{path}: layer {layer.name!r} has {len(w)} weight arrays, expected kernel and bias")
        kernel, bias = (np.asarray(a, dtype=np.float64) for a in w)
        if op == "conv":
            n, k = CONV[i]
            cin = 3 if i == 0 else CONV[i - 1][0] // div
            if kernel.shape != (k, k, cin, n // div):
                raise ExportError(f"{path}: layer {layer.name!r} kernel {kernel.shape}, sdss_CNN at 1/{div} "
                                  f"width needs {(k, k, cin, n // div)}")
            t = kernel.transpose(3, 2, 0, 1)  # HWIO -> OIHW
        else:
            j = i - 5
            nin = 15 * 15 * (CONV[4][0] // div) if j == 0 else DENSE[j - 1] // div
            nout = DENSE[j] // div if j < 2 else 1
            if kernel.shape != (nin, nout):
                raise ExportError(f"{path}: layer {layer.name!r} kernel {kernel.shape}, sdss_CNN at 1/{div} "
                                  f"width needs {(nin, nout)}")
            t = kernel.T  # [in, out] -> [out, in]; channel-last flatten: no row permutation
        tensors.append((f"{idx}.weight", np.ascontiguousarray(t, dtype=np.float32)))
        tensors.append((f"{idx}.bias", np.ascontiguousarray(bias, dtype=np.float32)))
    return tensors, div


def flatten_check(tensors, div, x_nchw, y_keras):
    """Relative error of a PyTorch float64 replay of the converted tensors against Keras,
    with galnet's channel-last flatten and with a plain NCHW flatten."""
    import torch
    model = et.spin_cnn_model(div).double().eval()
    model.load_state_dict({k: torch.from_numpy(v).double() for k, v in tensors})
    x = torch.from_numpy(x_nchw).double()
    with torch.no_grad():
        y_last = model(x).numpy()
        coverage = et.relu_coverage(model, x)
        model[17] = torch.nn.Flatten()
        y_first = model(x).numpy()
    return et.rel_error(y_last, y_keras), et.rel_error(y_first, y_keras), coverage


# ----------------------------------------------------------------------------- commands
def export(args):
    et.check_common_args(args)
    size = args.test_size or 80
    if size != 80:
        raise ExportError("sdss_CNN takes 80x80 inputs only (--test-size 80)")
    model, how = load_keras(args.source, args.width_div)
    weighted = program_of(model, args.source)
    tensors, div = convert(weighted, args.source)
    if args.width_div and args.width_div != div:
        raise ExportError(f"{args.source}: --width-div {args.width_div}, but the weights are 1/{div} width")
    x = np.random.default_rng(args.seed).random((2, 3, 80, 80), dtype=np.float32)
    y = np.asarray(model(x.transpose(0, 2, 3, 1), training=False), dtype=np.float32)  # Keras: NHWC
    if not np.isfinite(y).all():
        raise ExportError(f"{args.source}: Keras' output on the test input is not finite")
    e_last, e_first, coverage = flatten_check(tensors, div, x, y)
    if e_last > 1e-4:
        raise ExportError(f"{args.source}: the converted weights do not reproduce Keras "
                          f"(PyTorch replay error {e_last:.2e}); refusing to write {args.output}")
    keras = _keras()
    import tensorflow as tf
    md = et.common_metadata(args, "spin_cnn", args.source)
    md.update({"galnet.width": str(64 // div), "galnet.width_div": str(div), "galnet.outputs": "1",
               "galnet.layout": "keras_sequential", "galnet.keras_source": how,
               "galnet.exporter": f"{EXPORTER} (keras {keras.__version__}, tensorflow {tf.__version__})",
               "galnet.test_seed": str(args.seed), "galnet.test_size": "80",
               "galnet.test_input": "uniform [0,1) (pixels / 255)",
               "galnet.test_reference": "Keras float32 forward (training=False) on the NHWC transpose of "
                                        "__test__.input (stored NCHW)",
               "galnet.flatten_check": f"PyTorch float64 replay vs Keras: channel-last flatten {e_last:.1e}, "
                                       f"NCHW flatten {e_first:.1e}",
               "galnet.test_coverage": et.coverage_text(coverage)})
    et.write_safetensors(args.output, et.finish_tensors(tensors, x, y, args), md)
    nvalues = sum(v.size for _, v in tensors)
    print(f"{args.output}: kind spin_cnn from {how}, width 1/{div}, {len(tensors)} tensors / {nvalues} values; "
          f"test vector (2, 3, 80, 80) -> {y.shape}; replay vs Keras: channel-last flatten {e_last:.1e}, "
          f"NCHW flatten {e_first:.1e}; {et.coverage_text(coverage)}")
    return {"tensors": tensors, "input": x, "output": y, "div": div, "flatten_errors": (e_last, e_first),
            "coverage": coverage}


def build_random(args):
    keras = _keras()
    keras.utils.set_random_seed(args.seed)
    div = args.width_div or 1
    model = sdss_cnn(div)
    rng = np.random.default_rng(args.seed + 1)
    for layer in model.layers:  # random biases, so a bias mix-up cannot hide behind zeros
        w = layer.get_weights()
        if len(w) == 2:
            layer.set_weights([w[0], rng.uniform(-0.1, 0.1, size=w[1].shape).astype(np.float32)])
    out = args.build_random
    if args.save == "model":
        model.save(out)
    elif out.endswith(".weights.h5"):
        model.save_weights(out)
    else:  # Keras 2 `save_weights("x.h5")` layout, which Keras 3 still reads
        import h5py
        from keras.src.legacy.saving import legacy_h5_format
        with h5py.File(out, "w") as f:
            legacy_h5_format.save_weights_to_hdf5_group(f, model)
    print(f"{out}: random sdss_CNN at 1/{div} width ({model.count_params()} parameters), saved as {args.save}")
    return model


def parser():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    ap.add_argument("source", nargs="?", help="Keras model (.keras/.h5) or weights (.h5/.weights.h5)")
    ap.add_argument("--width-div", type=int, default=None,
                    help="width divisor (1 = the published network; default: from the weights)")
    ap.add_argument("--build-random", metavar="OUT", help="write a random sdss_CNN to OUT instead of exporting")
    ap.add_argument("--save", choices=("weights", "model"), default="weights",
                    help="--build-random: weights-only .h5 (default) or a full model (.h5/.keras)")
    ap.add_argument("-o", "--output", help="the galnet .safetensors file to write")
    ap.add_argument("--mean", type=float, nargs=3, metavar=("R", "G", "B"),
                    help="per-channel input normalisation mean, stored as normalization.mean")
    ap.add_argument("--std", type=float, nargs=3, metavar=("R", "G", "B"),
                    help="per-channel input normalisation std, stored as normalization.std")
    ap.add_argument("--seed", type=int, default=0, help="seed of the test input (and of --build-random)")
    ap.add_argument("--test-size", type=int, default=None, help="must be 80 (sdss_CNN's input)")
    return ap


def main(argv=None):
    ap = parser()
    args = ap.parse_args(argv)
    try:
        if args.build_random:
            if args.width_div is not None and (args.width_div <= 0 or 64 % args.width_div or 96 % args.width_div):
                raise ExportError("--width-div must divide every sdss_CNN width (1, 2, 4, 8, ...)")
            return build_random(args)
        if not args.source or not args.output:
            ap.error("give SOURCE and -o OUTPUT (or --build-random OUT)")
        return export(args)
    except ExportError as e:
        print(f"export_keras.py: error: {e}", file=sys.stderr)
        if argv is not None:
            raise
        sys.exit(2)


if __name__ == "__main__":
    main()
