#!/usr/bin/env python3
"""Reference equivalent widths for the line-EW predictor (Khederlarian et al. 2024).

Loads the ORIGINAL published model files, params_of_model_{with,without}_luminosity.npy from
ashodkh/emission-lines (copied into ../shared/data/emission-lines/), and evaluates them with
numpy in float64 -- the authors' EmissionLineModel.predict (scripts/emission_line_model.py):
per line, colours and luminosity standardised by the line's sklearn StandardScalers, then
Dense-SELU x3 and a linear output y, EW = sinh(y). The .npy files are pickles holding sklearn
StandardScaler objects; a minimal stand-in class takes their place (only mean_ and scale_ are
used), so scikit-learn need not be installed.

Writes (small, committed):
  tests/fixtures/line_ew_sample_input.csv  id, flux_0..flux_11, z: 20 smooth mock continua
                                           (power law with a 4000 A break, z 0.02-0.3, 1 %
                                           noise per bin) and 6 invalid rows
  data/line_ew/sample_fluxes.csv           the same table, shipped for the demo
  tests/fixtures/line_ew_reference.csv     id, LINE... (with luminosity), LINE_nolum... (without),
                                           flag; EWs in Angstrom, empty where flagged
  tests/fixtures/line_ew_train_small.csv   200 rows for the `line_ew train` smoke test: the
                                           published model's own EWs plus Gaussian noise, with
                                           LINE_ew and LINE_ew_ivar columns (a few missing
                                           measurements, a few rows with invalid inputs)
  tests/fixtures/line_ew_learn.csv         1,000 rows for the test that `line_ew train` learns:
                                           the published model's arcsinh(EW) plus Gaussian noise
                                           of sd LEARN_NOISE in arcsinh(EW), ivar set so that
                                           every measurement weighs the same (the noise floor
                                           of the validation loss is then LEARN_NOISE**2)

Rerun with
    tools/.venv/bin/python tools/reference_line_ew.py [--data-dir ../shared/data/emission-lines]
The inputs are drawn from numpy's default_rng with fixed seeds, so reruns give the same files.
"""
import argparse
import math
import pickle
from pathlib import Path

import numpy as np
import numpy.lib.format as npformat

LINES = ["OII_DOUBLET", "HGAMMA", "HBETA", "OIII_4959", "OIII_5007",
         "NII_6548", "HALPHA", "NII_6584", "SII_6716", "SII_6731"]
EDGES = np.linspace(3400.0, 7000.0, 13)  # rest-frame bin edges, Angstrom
H0, OM0 = 70.0, 0.3
C_KMS = 299792.458
LEARN_NOISE = 0.1  # sd of the learning table's noise in arcsinh(EW / A)
SELU_LAMBDA = 1.0507009873554804934193349852946
SELU_ALPHA = 1.6732632423543772848170429916717


class _Scaler:
    """Stands in for sklearn.preprocessing.StandardScaler when unpickling."""

    def __setstate__(self, state):
        self.__dict__.update(state)


class _Unpickler(pickle.Unpickler):
    def find_class(self, module, name):
        if module.startswith("sklearn"):
            return _Scaler
        return super().find_class(module, name)


def load_published(path):
    """The published dict {LINE: {'params': [(W, b)...], 'color_scaler', 'luminosity_scaler'}}."""
    with open(path, "rb") as f:
        version = npformat.read_magic(f)
        if version == (1, 0):
            npformat.read_array_header_1_0(f)
        else:
            npformat.read_array_header_2_0(f)
        return _Unpickler(f).load()[()]


def luminosity_distance_mpc(z):
    """Flat LambdaCDM (H0 70, Om0 0.3, no radiation): 400-point Gauss-Legendre in z."""
    x, w = np.polynomial.legendre.leggauss(400)
    zz = 0.5 * z * (x + 1.0)
    e = np.sqrt(OM0 * (1.0 + zz) ** 3 + (1.0 - OM0))
    return (1.0 + z) * (C_KMS / H0) * 0.5 * z * np.sum(w / e)


def selu(x):
    return np.where(x > 0, SELU_LAMBDA * x, SELU_LAMBDA * SELU_ALPHA * np.expm1(np.minimum(x, 0.0)))


def predict(model, fluxes, z, with_luminosity):
    """EWs [n, 10] in float64 for valid rows (fluxes > 0, z > 0, all finite)."""
    colours = np.log10(fluxes[:, 1:] / fluxes[:, :-1])
    out = np.empty((fluxes.shape[0], len(LINES)))
    if with_luminosity:
        dl = np.array([luminosity_distance_mpc(q) for q in z])
        lum = np.log10(fluxes[:, 8] * (1.0 + z) * dl ** 2)
    for k, line in enumerate(LINES):
        m = model[line]
        cs = m["color_scaler"]
        x = (colours - np.asarray(cs.mean_, np.float64)) / np.asarray(cs.scale_, np.float64)
        if with_luminosity:
            ls = m["luminosity_scaler"]
            xl = (lum[:, None] - np.asarray(ls.mean_, np.float64)) / np.asarray(ls.scale_, np.float64)
            x = np.concatenate([x, xl], axis=1)
        a = x
        params = m["params"]
        for w, b in params[:-1]:
            a = selu(a @ np.asarray(w, np.float64).T + np.asarray(b, np.float64))
        w, b = params[-1]
        y = (a @ np.asarray(w, np.float64).T + np.asarray(b, np.float64))[:, 0]
        out[:, k] = np.sinh(y)
    return out


def bin_means(amplitude, beta, break_ratio):
    """Mean f_lambda in the 12 bins of A (lambda/5500)^beta, times break_ratio below 4000 A."""
    f = np.empty(12)
    for i in range(12):
        lo, hi = EDGES[i], EDGES[i + 1]
        # exact integral of the power law over the bin (the break sits on a bin edge)
        if abs(beta + 1.0) < 1e-12:
            integral = 5500.0 * math.log(hi / lo)
        else:
            integral = 5500.0 / (beta + 1.0) * ((hi / 5500.0) ** (beta + 1.0) - (lo / 5500.0) ** (beta + 1.0))
        f[i] = amplitude * integral / (hi - lo) * (break_ratio if hi <= 4000.0 else 1.0)
    return f


def mock_continua(rng, n):
    amp = rng.uniform(2.0, 30.0, n)
    beta = rng.uniform(-2.5, 0.5, n)
    brk = rng.uniform(0.45, 0.95, n)
    z = rng.uniform(0.02, 0.3, n)
    f = np.array([bin_means(amp[i], beta[i], brk[i]) for i in range(n)])
    f *= 1.0 + rng.normal(0.0, 0.01, f.shape)
    return f, z


def row_flag(f, z):
    """The flag line_ew writes: every problem, in column order, joined by '; '."""
    problems = []
    for j, v in enumerate(f):
        if not math.isfinite(v):
            problems.append(f"flux_{j} not finite")
        elif v <= 0:
            problems.append(f"flux_{j} not positive")
    if not math.isfinite(z):
        problems.append("z not finite")
    elif z <= 0:
        problems.append("z not positive")
    return "; ".join(problems)


def fmt(v, spec):
    return "nan" if not math.isfinite(v) else format(v, spec)


def training_table(ids, f, z, obs, ivar, spec):
    """A `line_ew train` table: id, flux_0..flux_11, z (7 digits), then LINE_ew and LINE_ew_ivar
    for every line in format `spec` ("nan" where not finite)."""
    cols = ["id"] + [f"flux_{j}" for j in range(12)] + ["z"]
    for line in LINES:
        cols += [f"{line}_ew", f"{line}_ew_ivar"]
    lines = [",".join(cols)]
    for i, name in enumerate(ids):
        cells = [name] + [fmt(v, ".7g") for v in f[i]] + [fmt(z[i], ".7g")]
        for k in range(10):
            cells += [fmt(obs[i, k], spec), fmt(ivar[i, k], spec)]
        lines.append(",".join(cells))
    return "\n".join(lines) + "\n"


def read_back(text):
    """Parses a written table back (the reference uses exactly the values in the file)."""
    rows = [r.split(",") for r in text.strip().split("\n")]
    ids = [r[0] for r in rows[1:]]
    vals = np.array([[float(x) if x else math.nan for x in r[1:14]] for r in rows[1:]])
    return ids, vals[:, :12], vals[:, 12]


def main():
    here = Path(__file__).resolve().parent
    root = here.parent
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data-dir", type=Path, default=root.parent / "shared/data/emission-lines")
    args = ap.parse_args()
    with_l = load_published(args.data_dir / "params_of_model_with_luminosity.npy")
    without_l = load_published(args.data_dir / "params_of_model_without_luminosity.npy")
    print(f"D_L(0.1) = {luminosity_distance_mpc(0.1):.10f} Mpc")

    # ---- sample input: 20 valid rows, then 6 invalid ones ----
    rng = np.random.default_rng(2024)
    f, z = mock_continua(rng, 20)
    ids = [f"mock-{i:02d}" for i in range(20)]
    bad = [("bad-zero-flux", 4, 0.0, None), ("bad-negative-flux", 7, -0.25, None),
           ("bad-nan-flux", 2, math.nan, None), ("bad-zero-z", None, None, 0.0),
           ("bad-negative-z", None, None, -0.01), ("bad-two-problems", 0, -1.0, math.nan)]
    for k, (name, j, fv, zv) in enumerate(bad):
        row, zz = f[k].copy(), z[k]
        if j is not None:
            row[j] = fv
        if zv is not None:
            zz = zv
        ids.append(name)
        f = np.vstack([f, row])
        z = np.append(z, zz)
    header = "id," + ",".join(f"flux_{j}" for j in range(12)) + ",z\n"
    text = header + "".join(
        ids[i] + "," + ",".join(fmt(v, ".10g") for v in f[i]) + "," + fmt(z[i], ".10g") + "\n"
        for i in range(len(ids)))
    for path in (root / "tests/fixtures/line_ew_sample_input.csv", root / "data/line_ew/sample_fluxes.csv"):
        path.write_text(text)
    ids, f, z = read_back(text)

    valid = np.array([row_flag(f[i], z[i]) == "" for i in range(len(ids))])
    ew_l = np.full((len(ids), 10), math.nan)
    ew_n = np.full((len(ids), 10), math.nan)
    ew_l[valid] = predict(with_l, f[valid], z[valid], True)
    ew_n[valid] = predict(without_l, f[valid], z[valid], False)
    out = "id," + ",".join(LINES) + "," + ",".join(l + "_nolum" for l in LINES) + ",flag\n"
    for i in range(len(ids)):
        cells = [ids[i]]
        cells += ["" if not valid[i] else format(v, ".12e") for v in ew_l[i]]
        cells += ["" if not valid[i] else format(v, ".12e") for v in ew_n[i]]
        cells.append(row_flag(f[i], z[i]))
        out += ",".join(cells) + "\n"
    (root / "tests/fixtures/line_ew_reference.csv").write_text(out)
    print(f"reference: {valid.sum()} valid rows, {(~valid).sum()} flagged; "
          f"EW range {np.nanmin(ew_l):.3g} .. {np.nanmax(ew_l):.3g} A")

    # ---- a small training table ----
    rng = np.random.default_rng(7)
    n = 200
    f, z = mock_continua(rng, n)
    ew = predict(with_l, f, z, True)
    sigma = 0.05 * np.abs(ew) + 0.2
    obs = ew + rng.normal(0.0, 1.0, ew.shape) * sigma
    ivar = 1.0 / sigma ** 2
    missing = rng.uniform(size=ew.shape) < 0.03   # measurement failed: EW nan, ivar 0
    ivar[missing] = 0.0
    obs[missing] = math.nan
    for i in (5, 77, 150):                         # invalid inputs: skipped by `line_ew train`
        f[i, (i % 12)] = -abs(f[i, (i % 12)])
    ids = [f"train-{i:03d}" for i in range(n)]
    (root / "tests/fixtures/line_ew_train_small.csv").write_text(training_table(ids, f, z, obs, ivar, ".6g"))
    print(f"training table: {n} rows, {missing.sum()} missing measurements")

    # ---- the learning table: noise of known sd in arcsinh(EW), equal weights ----
    rng = np.random.default_rng(11)
    n = 1000
    f, z = mock_continua(rng, n)
    y = np.arcsinh(predict(with_l, f, z, True)) + rng.normal(0.0, LEARN_NOISE, (n, 10))
    obs = np.sinh(y)
    ivar = 1.0 / (LEARN_NOISE ** 2 * (1.0 + obs ** 2))  # w = ivar (1 + EW^2) = 1 / LEARN_NOISE^2
    ids = [f"learn-{i:04d}" for i in range(n)]
    (root / "tests/fixtures/line_ew_learn.csv").write_text(training_table(ids, f, z, obs, ivar, ".7g"))
    print(f"learning table: {n} rows, noise sd {LEARN_NOISE} in arcsinh(EW): floor {LEARN_NOISE ** 2:g}")


if __name__ == "__main__":
    main()
