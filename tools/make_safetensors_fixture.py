#!/usr/bin/env python3
"""Writes tests/fixtures/safetensors_reference.safetensors with the real `safetensors` library.

tests/unit/test_safetensors.cpp reads it back and checks every value, so galnet's reader is
tested against the reference writer (header padding, tensor order, dtype encodings), and its
F16/BF16 encoders against PyTorch's round-to-nearest-even conversions.

Usage: tools/.venv/bin/python tools/make_safetensors_fixture.py
"""
from pathlib import Path

import torch
from safetensors.torch import save_file

# float32 inputs (so PyTorch rounds once, float32 -> half), chosen for the edge cases:
# exact values, max half, half subnormals, infinities, NaN, signed zero, ties to even, overflow.
HALF_INPUTS = [1.0, -2.5, 65504.0, 1e-7, float("inf"), float("-inf"), float("nan"), -0.0, 0.1,
               2.0**-14, 2.0**-24, 65519.0, 65520.0, 1.0 + 2.0**-11, 1.0 + 3 * 2.0**-11, 3.0e38]
BF16_INPUTS = [1.0, -2.5, 65504.0, 1e-7, float("inf"), float("-inf"), float("nan"), -0.0, 0.1,
               1e-40, 3.4028234663852886e38, 1.0 + 2.0**-8, 1.0 + 3 * 2.0**-8, -3.0e-39]


def main() -> None:
    out = Path(__file__).resolve().parent.parent / "tests" / "fixtures"
    out.mkdir(parents=True, exist_ok=True)
    tensors = {
        "layer1.0.conv1.weight": torch.arange(24, dtype=torch.float32).reshape(2, 3, 2, 2) / 4 - 2,
        "fc.bias": torch.tensor([0.5, -1.25, 3.0e-45, 1.0e30], dtype=torch.float32),
        "f64.values": torch.tensor([[1.0 / 3.0, -1e300], [5e-324, 2.5]], dtype=torch.float64),
        "f16.values": torch.tensor(HALF_INPUTS, dtype=torch.float32).to(torch.float16),
        "bf16.values": torch.tensor(BF16_INPUTS, dtype=torch.float32).to(torch.bfloat16),
        "bn.num_batches_tracked": torch.tensor(123456789012, dtype=torch.int64),  # rank 0
        "i32.values": torch.tensor([-7, 0, 2147483647], dtype=torch.int32),
        "empty.weight": torch.zeros(0, 3, dtype=torch.float32),
    }
    path = out / "safetensors_reference.safetensors"
    save_file(tensors, str(path), metadata={"format": "pt", "creator": "galnet fixture",
                                            "unicode": "\u00e5ngstr\u00f6m"})
    for name in ("f16.values", "bf16.values"):
        bits = tensors[name].view(torch.int16).tolist()
        print(name, [f"0x{b & 0xFFFF:04X}" for b in bits])
    print(f"wrote {path} ({path.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
