#!/usr/bin/env bash
# On a machine with an NVIDIA GPU (an H100/H200 lent to a session): builds galnet's CUDA tests
# and bench_cuda against .gpu-kit (tools/gpu/pack_kit.sh) and the machine's CUDA toolkit and
# cuDNN, runs every CUDA test, then the GPU benchmarks and PyTorch on the same GPU
# (benchmarks/compare_pytorch_cuda.py), writing logs under the folder given (default ./gpu-out).
#   tools/gpu/check.sh "$OUT"
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
out=${1:-$root/gpu-out}
mkdir -p "$out"
kit="$root/.gpu-kit/usr"
export LD_LIBRARY_PATH="$kit/lib/x86_64-linux-gnu${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv | tee "$out/gpu.txt"
# cuDNN: the system's, else the nvidia-cudnn wheel beside PyTorch.
cudnn_args=()
if ! ls /usr/include/cudnn.h /usr/local/cuda/include/cudnn.h >/dev/null 2>&1; then
  d=$(python3 -c "import nvidia.cudnn, os; print(os.path.dirname(nvidia.cudnn.__file__))" 2>/dev/null || true)
  if [ -n "$d" ]; then
    lib=$(ls "$d"/lib/libcudnn.so* | head -1)
    cudnn_args=(-DGALNET_CUDNN_INCLUDE_DIR="$d/include" -DGALNET_CUDNN_LIBRARY="$lib")
    export LD_LIBRARY_PATH="$d/lib:$LD_LIBRARY_PATH"
  fi
fi
cmake -S "$root" -B "$root/build-gpu" -G Ninja -DCMAKE_PREFIX_PATH="$kit" -DGALNET_CUDA_ARCHITECTURES=90 \
      -DGALNET_BUILD_EXAMPLES=OFF -DGALNET_CHECK_HEADERS=OFF "${cudnn_args[@]}" >"$out/configure.log" 2>&1 ||
  { tail -30 "$out/configure.log"; exit 1; }
cmake --build "$root/build-gpu" -j "$(nproc)" --target galnet_cuda_tests bench_cuda >"$out/build.log" 2>&1 ||
  { grep -m20 -B2 -A8 "error" "$out/build.log"; exit 1; }
echo "== CUDA tests"
"$root/build-gpu/bin/galnet_cuda_tests" --duration=true 2>&1 | tee "$out/cuda_tests.log" | tail -40
echo "== bench_cuda"
"$root/build-gpu/bin/bench_cuda" --benchmark_counters_tabular=true --benchmark_out="$out/bench_cuda.json" \
  --benchmark_out_format=json 2>&1 | tee "$out/bench_cuda.txt" | grep -E "Train|Infer|Gemm|LineEW|Upload" | head -60
echo "== galnet vs PyTorch on the GPU"
python3 "$root/benchmarks/compare_pytorch_cuda.py" --bench "$root/build-gpu/bin/bench_cuda" 2>&1 | tee "$out/compare.txt"
