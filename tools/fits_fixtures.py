#!/usr/bin/env python3
"""FITS tables written by astropy, the way astronomers' tools write them, for galnet's tests.

Writes into tests/fixtures/:
  catalog_astropy.fits   every column type galnet reads: int64 ids beyond 2^53, uint64 (TZERO),
                         small and unsigned integers, float32 with a NaN, a masked int16 (TNULL),
                         strings, booleans, a 3-vector, and a complex column (not read)
  catalog_astropy.ecsv   the scalar columns as astropy's ECSV with commas: '#' comment lines,
                         then CSV
  line_ew_input.fits     tests/fixtures/line_ew_sample_input.csv as a FITS table
  mock_seed5_n40.fits    the catalog of `mock_survey --n 40 --seed 5` (any layout) as a FITS
                         table (needs --mock-survey, the built program)

Usage: tools/.venv/bin/python tools/fits_fixtures.py [--mock-survey build/bin/mock_survey]
Rerunning with the same astropy writes the same files (astropy writes no dates into tables).
"""
import argparse
import pathlib
import subprocess
import tempfile

import numpy as np
from astropy.table import MaskedColumn, Table

HERE = pathlib.Path(__file__).resolve().parent.parent / "tests" / "fixtures"


def types_table():
    t = Table()
    t["objID"] = np.array([1237666408439775234, 1237666408439775235, 9223372036854775807, -5], dtype=np.int64)
    t["uid"] = np.array([18446744073709551615, 9223372036854775808, 1, 0], dtype=np.uint64)
    t["u8"] = np.array([0, 255, 7, 1], dtype=np.uint8)
    t["u16"] = np.array([0, 65535, 32768, 1], dtype=np.uint16)
    t["i32"] = np.array([-2147483648, 2147483647, 0, 12], dtype=np.int32)
    t["u32"] = np.array([4294967295, 0, 2147483648, 3], dtype=np.uint32)
    t["ra"] = np.array([150.000001234567, 0.1, -1e-300, 359.9999999999999], dtype=np.float64)
    t["oh_p50"] = np.array([8.91, np.nan, 9.05, 0.1], dtype=np.float32)
    t["bptclass"] = MaskedColumn(np.array([1, 0, 4, -1], dtype=np.int16), mask=[False, True, False, False])
    t["name"] = ["NGC 4414", "a,b", "", 'x"y']
    t["is_sf"] = [True, False, True, False]
    t["flux"] = np.array([[1.5, 2.5, 3.5], [4.0, 5.0, 6.0], [-1.0, 0.0, 1e10], [7.25, 8.25, 9.25]])
    t["spec_c"] = np.array([1 + 2j, 3 - 4j, 0j, 1j], dtype=np.complex64)
    return t


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--mock-survey", help="the built mock_survey program (for mock_seed5_n40.fits)")
    args = ap.parse_args()

    t = types_table()
    t.write(HERE / "catalog_astropy.fits", overwrite=True)
    t["objID", "ra", "oh_p50", "bptclass", "name"].write(HERE / "catalog_astropy.ecsv", delimiter=",", overwrite=True)
    print("wrote catalog_astropy.fits and catalog_astropy.ecsv")

    lines = Table.read(HERE / "line_ew_sample_input.csv", format="ascii.csv")
    lines.write(HERE / "line_ew_input.fits", overwrite=True)
    print(f"wrote line_ew_input.fits ({len(lines)} rows)")

    if args.mock_survey:
        with tempfile.TemporaryDirectory() as tmp:
            subprocess.run([args.mock_survey, "--layout", "sfnet", "--n", "40", "--seed", "5", "--out", tmp],
                           check=True, capture_output=True)
            mock = Table.read(pathlib.Path(tmp) / "galaxies.csv", format="ascii.csv")
        assert mock["objID"].dtype == np.int64, mock["objID"].dtype
        mock.write(HERE / "mock_seed5_n40.fits", overwrite=True)
        print(f"wrote mock_seed5_n40.fits ({len(mock)} rows, {len(mock.columns)} columns)")


if __name__ == "__main__":
    main()
