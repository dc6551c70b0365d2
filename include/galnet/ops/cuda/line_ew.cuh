// galnet/ops/cuda/line_ew.cuh — every line-EW MLP (Khederlarian et al. 2024: In → 64 → 128 →
// 64 → 1, SELU between) in one kernel launch, on bfloat16 tensor cores with float32
// accumulation.
//
// Contract
//   - LineEWPack packs L lines on the host, each from its four Linear layers (ops::DenseRef,
//     PyTorch's [out, in] weights) and its input scalers (mean, scale per feature), into one
//     buffer: per line the three hidden weight matrices in bfloat16 (rows padded against
//     shared-memory bank conflicts; layer 0's In inputs padded with zeros to 16), then the
//     biases, the output layer and the scalers in float32.
//   - LineEWKernel::forward(x, n, y) on galnet's stream: x [n, In] raw features (float, device),
//     y [n, L] (float, device; y[i·L + l] is line l). Block (b, l) copies line l's pack into
//     shared memory once and its eight warps then take 16 rows at a time: standardise, round
//     to bfloat16, three WMMA 16×16×16 layers (bias and SELU applied in float32 on the way
//     back to bfloat16), and the 64 → 1 output in float32.
//   - Numerics: operands rounded to bfloat16 (2⁻⁹ relative), products summed in float32;
//     line_ew_reference() runs the same arithmetic on the host (the tests compare the kernel
//     with it, and it with the float32 network). Needs sm_80 or newer; the constructor says so.
#pragma once
#include <cuda_bf16.h>
#include <cuda_runtime.h>
#include <mma.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <vector>

#include "galnet/core/error.hpp"
#include "galnet/core/tensor.hpp"
#include "galnet/cuda/error.hpp"
#include "galnet/cuda/memory.hpp"
#include "galnet/cuda/runtime.hpp"
#include "galnet/ops/selu.hpp"
#include "galnet/ops/cuda/launch.cuh"

namespace galnet::ops {

namespace line_ew_cuda {
inline constexpr int kH1 = 64, kH2 = 128, kH3 = 64, kK1 = 16;  ///< widths; layer 0's inputs padded to 16
inline constexpr int kPad = 8;  ///< bf16 elements of padding per row of 64 or 128, against bank conflicts
// Row strides by input width. Layer 0's 16 columns go unpadded: its products are 1/34 of the
// work, and the 1 KB saved keeps the block within the 99 KB of shared memory that sm_86/sm_89
// (RTX 30/40, A10, L4, L40) allow a block.
inline constexpr int kLd1 = kK1, kLd2 = kH1 + kPad, kLd3 = kH2 + kPad;
// A line's pack: bf16 weights W1 [kH1][kLd1], W2 [kH2][kLd2], W3 [kH3][kLd3], then float32.
inline constexpr int kW1 = 0, kW2 = kW1 + kH1 * kLd1, kW3 = kW2 + kH2 * kLd2, kWeights = kW3 + kH3 * kLd3;
inline constexpr int kB1 = 0, kB2 = kB1 + kH1, kB3 = kB2 + kH2, kW4 = kB3 + kH3, kMean = kW4 + kH3,
                     kInvScale = kMean + kK1, kB4 = kInvScale + kK1, kFloats = kB4 + 8;
inline constexpr int kLineBytes = kWeights * 2 + kFloats * 4;
static_assert(kWeights * 2 % 128 == 0 && kLineBytes % 16 == 0, "pack regions stay aligned");
inline constexpr int kWarps = 8, kRows = 16;  ///< warps per block; rows per warp pass
// Per warp: activations A (input, H2: 16 × kLd3) and B (H1, H3: 16 × kLd2) in bf16, a float tile.
inline constexpr int kWarpBytes = kRows * kLd3 * 2 + kRows * kLd2 * 2 + 16 * 16 * 4;
inline constexpr int kSharedBytes = kLineBytes + kWarps * kWarpBytes;
static_assert(kLineBytes % 32 == 0 && kSharedBytes <= 99 * 1024, "fits a block on every sm_80+ GPU");
static_assert(kWarpBytes % 128 == 0 && (kRows * kLd3 * 2) % 32 == 0 && (kRows * kLd2 * 2) % 32 == 0,
              "WMMA pointers stay 32-byte aligned");
inline constexpr float kLambda = kSeluScaleF, kLambdaAlpha = kSeluScaleAlphaF;

inline float bf16_round(float v) { return __bfloat162float(__float2bfloat16_rn(v)); }
}  // namespace line_ew_cuda

/// L lines packed for LineEWKernel (host memory): see the contract.
struct LineEWPack {
  int inputs = 0, lines = 0;
  std::vector<unsigned char> bytes;  ///< lines × kLineBytes

  /// Appends one line: its four layers (In → 64 → 128 → 64 → 1) and input scalers [In].
  void add(const std::array<DenseRef, 4>& layer, const float* mean, const float* scale) {
    using namespace line_ew_cuda;
    const int in = layer[0].in;
    GALNET_CHECK(in >= 1 && in <= kK1 && layer[0].out == kH1 && layer[1].in == kH1 && layer[1].out == kH2 &&
                     layer[2].in == kH2 && layer[2].out == kH3 && layer[3].in == kH3 && layer[3].out == 1,
                 "LineEWPack: a line must be In (1..16) → 64 → 128 → 64 → 1, got ", layer[0].in, " → ", layer[0].out,
                 " → ", layer[1].out, " → ", layer[2].out, " → ", layer[3].out);
    GALNET_CHECK(lines == 0 || in == inputs, "LineEWPack: every line takes the same ", inputs, " inputs, not ", in);
    inputs = in;
    const std::size_t at = bytes.size();
    bytes.resize(at + kLineBytes, 0);  // zeros: the padding
    auto* w = reinterpret_cast<__nv_bfloat16*>(bytes.data() + at);
    auto* f = reinterpret_cast<float*>(bytes.data() + at + kWeights * 2);
    const auto put = [&](const DenseRef& d, int offset, int ld) {
      for (int o = 0; o < d.out; ++o)
        for (int i = 0; i < d.in; ++i) w[offset + o * ld + i] = __float2bfloat16_rn(d.w[o * d.in + i]);
    };
    put(layer[0], kW1, kLd1);
    put(layer[1], kW2, kLd2);
    put(layer[2], kW3, kLd3);
    std::memcpy(f + kB1, layer[0].b, sizeof(float) * kH1);
    std::memcpy(f + kB2, layer[1].b, sizeof(float) * kH2);
    std::memcpy(f + kB3, layer[2].b, sizeof(float) * kH3);
    std::memcpy(f + kW4, layer[3].w, sizeof(float) * kH3);
    f[kB4] = layer[3].b[0];
    for (int j = 0; j < in; ++j) {
      GALNET_CHECK(scale[j] != 0.f && std::isfinite(scale[j]) && std::isfinite(mean[j]), "LineEWPack: line ", lines,
                   " has input scaler mean ", mean[j], ", scale ", scale[j], " for feature ", j);
      f[kMean + j] = mean[j];
      f[kInvScale + j] = 1.f / scale[j];
    }
    ++lines;
  }
};

/// The kernel's arithmetic on the host, for one row x [inputs] of line `l`: the reference the
/// device tests hold the kernel to.
inline float line_ew_reference(const LineEWPack& pack, int l, const float* x) {
  using namespace line_ew_cuda;
  const auto* w = reinterpret_cast<const __nv_bfloat16*>(pack.bytes.data() + static_cast<std::size_t>(l) * kLineBytes);
  const auto* f = reinterpret_cast<const float*>(pack.bytes.data() + static_cast<std::size_t>(l) * kLineBytes + kWeights * 2);
  float a[kH2], b[kH2];
  for (int j = 0; j < kK1; ++j) a[j] = j < pack.inputs ? bf16_round((x[j] - f[kMean + j]) * f[kInvScale + j]) : 0.f;
  const auto dense = [&](const float* in, int k, int n, int offset, int ld, const float* bias, float* out) {
    for (int o = 0; o < n; ++o) {
      float s = 0;
      for (int i = 0; i < k; ++i) s += in[i] * __bfloat162float(w[offset + o * ld + i]);
      const float v = s + bias[o];
      out[o] = bf16_round(v > 0 ? kLambda * v : kLambdaAlpha * std::expm1(v));
    }
  };
  dense(a, kK1, kH1, kW1, kLd1, f + kB1, b);
  dense(b, kH1, kH2, kW2, kLd2, f + kB2, a);
  dense(a, kH2, kH3, kW3, kLd3, f + kB3, b);
  float y = 0;
  for (int i = 0; i < kH3; ++i) y += b[i] * f[kW4 + i];
  return y + f[kB4];
}

namespace line_ew_cuda {
using namespace nvcuda;

/// out [16 × N] = bf16(SELU(in [16 × K] · Wᵀ + bias)), W [N][ld_w] (so Wᵀ is column-major B).
template <int K, int N>
__device__ inline void dense_selu(const __nv_bfloat16* in, int ld_in, const __nv_bfloat16* w, int ld_w,
                                  const float* bias, __nv_bfloat16* out, int ld_out, float* tile, int lane) {
#if !defined(__CUDA_ARCH__) || __CUDA_ARCH__ >= 800
  wmma::fragment<wmma::matrix_a, 16, 16, 16, __nv_bfloat16, wmma::row_major> a[K / 16];
#pragma unroll
  for (int k = 0; k < K / 16; ++k) wmma::load_matrix_sync(a[k], in + k * 16, ld_in);
#pragma unroll 1
  for (int j = 0; j < N / 16; ++j) {
    wmma::fragment<wmma::accumulator, 16, 16, 16, float> acc;
    wmma::fill_fragment(acc, 0.f);
#pragma unroll
    for (int k = 0; k < K / 16; ++k) {
      wmma::fragment<wmma::matrix_b, 16, 16, 16, __nv_bfloat16, wmma::col_major> b;
      wmma::load_matrix_sync(b, w + j * 16 * ld_w + k * 16, ld_w);
      wmma::mma_sync(acc, a[k], b, acc);
    }
    wmma::store_matrix_sync(tile, acc, 16, wmma::mem_row_major);
    __syncwarp();
#pragma unroll
    for (int e = lane; e < 256; e += 32) {
      const int r = e / 16, c = e % 16;
      const float v = tile[e] + bias[j * 16 + c];
      out[r * ld_out + j * 16 + c] = __float2bfloat16_rn(v > 0.f ? kLambda * v : kLambdaAlpha * (__expf(v) - 1.f));
    }
    __syncwarp();
  }
#endif
}

template <int In>
__global__ void __launch_bounds__(kWarps * 32) line_ew_forward(const float* __restrict__ x, std::int64_t n,
                                                                 const unsigned char* __restrict__ pack,
                                                                 float* __restrict__ y, int lines) {
#if !defined(__CUDA_ARCH__) || __CUDA_ARCH__ >= 800
  extern __shared__ __align__(128) unsigned char smem[];
  const int line = static_cast<int>(blockIdx.y);
  {  // this line's pack, 16 bytes per thread and step
    const auto* src = reinterpret_cast<const int4*>(pack + static_cast<std::size_t>(line) * kLineBytes);
    auto* dst = reinterpret_cast<int4*>(smem);
    for (int i = static_cast<int>(threadIdx.x); i < kLineBytes / 16; i += static_cast<int>(blockDim.x)) dst[i] = src[i];
  }
  __syncthreads();
  const auto* w = reinterpret_cast<const __nv_bfloat16*>(smem);
  const auto* f = reinterpret_cast<const float*>(smem + kWeights * 2);
  const int warp = static_cast<int>(threadIdx.x) / 32, lane = static_cast<int>(threadIdx.x) % 32;
  unsigned char* mine = smem + kLineBytes + warp * kWarpBytes;
  auto* act_a = reinterpret_cast<__nv_bfloat16*>(mine);
  auto* act_b = reinterpret_cast<__nv_bfloat16*>(mine + kRows * kLd3 * 2);
  auto* tile = reinterpret_cast<float*>(mine + kRows * kLd3 * 2 + kRows * kLd2 * 2);
  const std::int64_t stride = static_cast<std::int64_t>(gridDim.x) * kWarps * kRows;
  for (std::int64_t row0 = (static_cast<std::int64_t>(blockIdx.x) * kWarps + warp) * kRows; row0 < n; row0 += stride) {
    for (int e = lane; e < kRows * kK1; e += 32) {  // standardised inputs; rows past n and pad columns 0
      const int r = e / kK1, c = e % kK1;
      float v = 0.f;
      if (c < In && row0 + r < n) v = (x[(row0 + r) * In + c] - f[kMean + c]) * f[kInvScale + c];
      act_a[r * kLd1 + c] = __float2bfloat16_rn(v);
    }
    __syncwarp();
    dense_selu<kK1, kH1>(act_a, kLd1, w + kW1, kLd1, f + kB1, act_b, kLd2, tile, lane);
    dense_selu<kH1, kH2>(act_b, kLd2, w + kW2, kLd2, f + kB2, act_a, kLd3, tile, lane);
    dense_selu<kH2, kH3>(act_a, kLd3, w + kW3, kLd3, f + kB3, act_b, kLd2, tile, lane);
    // Output: lanes 2r and 2r + 1 each sum half of row r's 64 products.
    const int r = lane / 2, half = lane % 2;
    float s = 0.f;
#pragma unroll 8
    for (int c = half * 32; c < half * 32 + 32; ++c) s += __bfloat162float(act_b[r * kLd2 + c]) * f[kW4 + c];
    s += __shfl_xor_sync(0xffffffffu, s, 1);
    if (half == 0 && row0 + r < n) y[(row0 + r) * lines + line] = s + f[kB4];
    __syncwarp();
  }
#else
  __trap();  // galnet builds this kernel for sm_80 and newer only (LineEWKernel checks)
#endif
}
}  // namespace line_ew_cuda

/// The packed lines on the GPU and their one-launch forward (see the contract).
class LineEWKernel {
public:
  explicit LineEWKernel(const LineEWPack& pack) : inputs_(pack.inputs), lines_(pack.lines) {
    GALNET_CHECK(lines_ > 0 && (inputs_ == 11 || inputs_ == 12), "LineEWKernel: expected lines of 11 or 12 inputs, got ",
                 lines_, " lines of ", inputs_);
    int d = 0, major = 0;
    GALNET_CUDA_CHECK(cudaGetDevice(&d));
    GALNET_CUDA_CHECK(cudaDeviceGetAttribute(&major, cudaDevAttrComputeCapabilityMajor, d));
    GALNET_CHECK(major >= 8, "LineEWKernel: needs bfloat16 tensor cores (sm_80 or newer); this GPU is ",
                 cuda::device_description());
    int sms = 0, shared = 0;
    GALNET_CUDA_CHECK(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, d));
    GALNET_CUDA_CHECK(cudaDeviceGetAttribute(&shared, cudaDevAttrMaxSharedMemoryPerBlockOptin, d));
    GALNET_CHECK(shared >= line_ew_cuda::kSharedBytes, "LineEWKernel: needs ", line_ew_cuda::kSharedBytes,
                 " bytes of shared memory per block; ", cuda::device_description(), " allows ", shared);
    packed_.resize(Shape{static_cast<std::int64_t>(pack.bytes.size())});
    packed_.upload(pack.bytes.data());
    const auto kernel = inputs_ == 12 ? &line_ew_cuda::line_ew_forward<12> : &line_ew_cuda::line_ew_forward<11>;
    GALNET_CUDA_CHECK(cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, line_ew_cuda::kSharedBytes));
    int per_sm = 0;
    GALNET_CUDA_CHECK(cudaOccupancyMaxActiveBlocksPerMultiprocessor(&per_sm, kernel, line_ew_cuda::kWarps * 32,
                                                                    line_ew_cuda::kSharedBytes));
    resident_ = std::max(1, per_sm) * sms;
  }
  [[nodiscard]] int inputs() const { return inputs_; }
  [[nodiscard]] int lines() const { return lines_; }

  /// y [n, lines] from x [n, inputs], both device pointers; asynchronous on galnet's stream.
  void forward(const float* x, std::int64_t n, float* y) const {
    using namespace line_ew_cuda;
    if (n == 0) return;
    // One wave of resident blocks (two per SM on an H100/H200, one on an A100), shared among the
    // lines; each block loops over its row tiles, so a line's weights are copied in once per block.
    const std::int64_t tiles = (n + kWarps * kRows - 1) / (kWarps * kRows);
    const std::int64_t per_line = std::max<std::int64_t>(1, (resident_ + lines_ - 1) / lines_);
    const dim3 grid(static_cast<unsigned>(std::min(tiles, per_line)), static_cast<unsigned>(lines_));
    const auto* p = reinterpret_cast<const unsigned char*>(packed_.data());
    if (inputs_ == 12)
      line_ew_forward<12><<<grid, kWarps * 32, kSharedBytes, cuda::stream()>>>(x, n, p, y, lines_);
    else
      line_ew_forward<11><<<grid, kWarps * 32, kSharedBytes, cuda::stream()>>>(x, n, p, y, lines_);
    cuda::check_launch("line_ew_forward");
  }

private:
  int inputs_, lines_, resident_ = 1;  ///< blocks the GPU holds at once
  Tensor<std::uint8_t, Cuda> packed_;
};

}  // namespace galnet::ops
