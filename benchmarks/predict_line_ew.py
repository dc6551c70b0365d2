#!/usr/bin/env python3
"""The peers of `line_ew predict` in benchmarks/compare_predict.py: Khederlarian et al. (2024)'s
predictor as its users write it, from the flux table to the EW table.

  numpy  float64 throughout, as the authors' EmissionLineModel.predict (tools/reference_line_ew.py):
         colours and luminosity standardised per line, Dense-SELU ×3, a linear output, EW = sinh;
         the products through numpy's BLAS (OpenBLAS in the PyPI wheels).
  jax    the same network in JAX (float32, JAX's default; the paper's framework), one jitted
         function for all ten lines, the compilation counted.

Both read the CSV with pandas (C parser) and write id, the ten EWs (9 significant digits) and an
empty flag column, as `line_ew predict` does for valid rows.

  predict_line_ew.py --framework numpy|jax --weights line_ew_with_luminosity.safetensors
                     --input fluxes.csv --output ews.csv

Prints one JSON line: rows, seconds (from opening the input to the closed output; the imports
before).
"""
import argparse
import json
import sys
import time

import numpy as np
import pandas as pd
from safetensors.numpy import load_file

LINES = ["OII_DOUBLET", "HGAMMA", "HBETA", "OIII_4959", "OIII_5007",
         "NII_6548", "HALPHA", "NII_6584", "SII_6716", "SII_6731"]
SELU_LAMBDA = 1.0507009873554804934193349852946
SELU_ALPHA = 1.6732632423543772848170429916717
H0, OM0, C_KMS = 70.0, 0.3, 299792.458


def luminosity_distance_mpc(xp, z):
    """Flat ΛCDM (H0 70, Ωm 0.3), D_L in Mpc: 64-point Gauss-Legendre over [0, z], all rows at once."""
    x, w = np.polynomial.legendre.leggauss(64)
    zz = 0.5 * z[:, None] * (xp.asarray(x)[None, :] + 1.0)
    e = xp.sqrt(OM0 * (1.0 + zz) ** 3 + (1.0 - OM0))
    return (1.0 + z) * (C_KMS / H0) * 0.5 * z * (xp.asarray(w)[None, :] / e).sum(axis=1)


def features(xp, fluxes, z, params, line, with_lum):
    cm, cs = params[f"{line}.color_scaler.mean"], params[f"{line}.color_scaler.scale"]
    x = (xp.log10(fluxes[:, 1:] / fluxes[:, :-1]) - cm) / cs
    if with_lum:
        lum = xp.log10(fluxes[:, 8] * (1.0 + z) * luminosity_distance_mpc(xp, z) ** 2)
        lm, ls = params[f"{line}.luminosity_scaler.mean"], params[f"{line}.luminosity_scaler.scale"]
        x = xp.concatenate([x, ((lum - lm[0]) / ls[0])[:, None]], axis=1)
    return x


def ten_lines(xp, selu, fluxes, z, params, with_lum):
    out = []
    for line in LINES:
        a = features(xp, fluxes, z, params, line, with_lum)
        for i in range(3):
            a = selu(a @ params[f"{line}.layers.{i}.weight"].T + params[f"{line}.layers.{i}.bias"])
        y = a @ params[f"{line}.layers.3.weight"].T + params[f"{line}.layers.3.bias"]
        out.append(xp.sinh(y[:, 0]))
    return xp.stack(out, axis=1)


def numpy_selu(x):
    return np.where(x > 0, SELU_LAMBDA * x, SELU_LAMBDA * SELU_ALPHA * np.expm1(np.minimum(x, 0.0)))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--framework", choices=["numpy", "jax"], required=True)
    ap.add_argument("--weights", required=True)
    ap.add_argument("--input", required=True)
    ap.add_argument("--output", required=True)
    a = ap.parse_args()
    if a.framework == "jax":
        import jax
        import jax.numpy as jnp
    start = time.perf_counter()
    raw = load_file(a.weights)
    with_lum = raw[f"{LINES[0]}.layers.0.weight"].shape[1] == 12
    table = pd.read_csv(a.input, dtype={"id": str})
    fluxes = table[[f"flux_{j}" for j in range(12)]].to_numpy(np.float64)
    z = table["z"].to_numpy(np.float64)
    if a.framework == "numpy":
        params = {k: v.astype(np.float64) for k, v in raw.items()}
        ew = ten_lines(np, numpy_selu, fluxes, z, params, with_lum)
    else:
        params = {k: jnp.asarray(v) for k, v in raw.items()}
        run = jax.jit(lambda f, zz, p: ten_lines(jnp, jax.nn.selu, f, zz, p, with_lum))
        ew = np.asarray(run(jnp.asarray(fluxes, jnp.float32), jnp.asarray(z, jnp.float32), params))
    out = pd.DataFrame(ew, columns=LINES)
    out.insert(0, "id", table["id"])
    out["flag"] = ""
    out.to_csv(a.output, index=False, float_format="%.9g")
    print(json.dumps({"rows": len(table), "seconds": time.perf_counter() - start}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
