// galnet/ops/cuda/conv2d.hpp — ops::Conv2dOp<T, Cuda>: convolution on cuDNN, the contract of
// galnet/ops/cpu/conv2d.hpp (forward; backward_data overwrites dx; backward_weight adds into
// dw and db). Host calls only, so a plain header.
//
// When the input geometry changes the engine resets its tensor, filter and convolution
// descriptors; the algorithms are picked once per geometry (cuDNN's heuristics, best first,
// skipping any whose workspace exceeds the bound and, for the weight gradient, any that is not
// deterministic) and cached, so alternating batch sizes cost no new choice; the workspace is
// one device buffer grown as needed.
// Exact mode: CUDNN_FMA_MATH (no TF32 tensor cores), compute in the element type.
// bf16 mode (float only): x, w and dy are cast to channels-last bfloat16 copies, cuDNN computes
// in float32 on tensor cores, and the bfloat16 results are cast back into the float32 NCHW
// tensors (the weight gradient added into dw); bias stays float32. A geometry for which cuDNN
// offers no bfloat16 algorithm (within the bounds below) runs in float32, exactly.
// cuDNN 9 marks this (v7-style) API deprecated in favour of its graph API; it is complete and
// supported throughout 9.x, so galnet uses it and silences the deprecation warnings here only.
#pragma once
#include <cudnn.h>

#include <array>
#include <cstdint>
#include <map>
#include <type_traits>

#include "galnet/core/tensor.hpp"
#include "galnet/cuda/error.hpp"
#include "galnet/cuda/memory.hpp"
#include "galnet/cuda/runtime.hpp"
#include "galnet/ops/conv2d.hpp"
#include "galnet/ops/cuda/bf16.hpp"

#if defined(__GNUC__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
#endif
#if defined(__NVCC__)
#pragma nv_diag_suppress 1444  // "declared deprecated"
#endif

namespace galnet::ops {

namespace cudnn_detail {
template <class T>
constexpr cudnnDataType_t data_type() {
  static_assert(std::is_same_v<T, float> || std::is_same_v<T, double>, "cuDNN convolution: float or double");
  return std::is_same_v<T, float> ? CUDNN_DATA_FLOAT : CUDNN_DATA_DOUBLE;
}
inline int to_int(std::int64_t v) {
  GALNET_CHECK(v >= 0 && v <= 0x7fffffff, "cuDNN convolution: extent ", v, " exceeds cuDNN's int range");
  return static_cast<int>(v);
}
/// Owns one cuDNN descriptor: Create/Destroy are the library's pair for its type.
template <class H, cudnnStatus_t (*Create)(H*), cudnnStatus_t (*Destroy)(H)>
class Descriptor {
public:
  Descriptor() { GALNET_CUDNN_CHECK(Create(&h_)); }
  Descriptor(const Descriptor&) = delete;
  Descriptor& operator=(const Descriptor&) = delete;
  ~Descriptor() {
    if (h_) (void)Destroy(h_);
  }
  [[nodiscard]] H get() const { return h_; }

private:
  H h_ = nullptr;
};
using TensorDesc = Descriptor<cudnnTensorDescriptor_t, cudnnCreateTensorDescriptor, cudnnDestroyTensorDescriptor>;
using FilterDesc = Descriptor<cudnnFilterDescriptor_t, cudnnCreateFilterDescriptor, cudnnDestroyFilterDescriptor>;
using ConvDesc =
    Descriptor<cudnnConvolutionDescriptor_t, cudnnCreateConvolutionDescriptor, cudnnDestroyConvolutionDescriptor>;

/// The first algorithm of a heuristic ranking that succeeded, fits the bound and (if asked) is
/// deterministic; throws naming the pass when none qualifies.
template <class Perf>
auto pick(const Perf* perf, int count, std::size_t max_workspace, bool deterministic, const char* pass) {
  for (int i = 0; i < count; ++i)
    if (perf[i].status == CUDNN_STATUS_SUCCESS && perf[i].memory <= max_workspace &&
        (!deterministic || perf[i].determinism == CUDNN_DETERMINISTIC))
      return perf[i];
  fail("galnet: cuDNN offers no ", pass, " algorithm for this convolution within the workspace bound of ",
       max_workspace >> 20, " MiB", deterministic ? " (deterministic only)" : "",
       " — cuDNN does not support this shape here");
}
}  // namespace cudnn_detail

template <class T>
class Conv2dOp<T, Cuda> {
public:
  /// Upper bound on the scratch memory any one convolution pass may use.
  static constexpr std::size_t kMaxWorkspace = std::size_t{256} << 20;
  /// The bf16 mode applies to float convolutions; double ones always compute exactly.
  static constexpr bool kBf16Capable = std::is_same_v<T, float>;

  void forward(const Conv2dGeometry& g, const T* x, const T* w, const T* b, T* y) {
    prepare(g);
    const T one = 1, zero = 0;
    if constexpr (kBf16Capable) {
      if (bf16_) {
        const Bf16Copy xb(g.n, g.c, g.h * g.w, x), wb(g.o, g.c, g.kh * g.kw, w);
        Tensor<bf16_bits, Cuda> yb(Shape{g.n * g.o * g.ho * g.wo});
        GALNET_CUDNN_CHECK(cudnnConvolutionForward(cuda::cudnn(), &one, x_.get(), xb.data(), w_.get(), wb.data(),
                                                   conv_.get(), fwd_.algo, workspace(fwd_.memory), fwd_.memory,
                                                   &zero, y_.get(), yb.data()));
        Bf16Operands<T>::from_nhwc(g.n, g.o, g.ho * g.wo, yb.data(), y, false);
      }
    }
    if (!bf16_)
      GALNET_CUDNN_CHECK(cudnnConvolutionForward(cuda::cudnn(), &one, x_.get(), x, w_.get(), w, conv_.get(),
                                                 fwd_.algo, workspace(fwd_.memory), fwd_.memory, &zero, y_.get(), y));
    if (b) GALNET_CUDNN_CHECK(cudnnAddTensor(cuda::cudnn(), &one, b_.get(), b, &one, yt_.get(), y));
  }
  void backward_data(const Conv2dGeometry& g, const T* dy, const T* w, T* dx) {
    prepare(g);
    const T one = 1, zero = 0;
    if constexpr (kBf16Capable) {
      if (bf16_) {
        const Bf16Copy dyb(g.n, g.o, g.ho * g.wo, dy), wb(g.o, g.c, g.kh * g.kw, w);
        Tensor<bf16_bits, Cuda> dxb(Shape{g.n * g.c * g.h * g.w});
        GALNET_CUDNN_CHECK(cudnnConvolutionBackwardData(cuda::cudnn(), &one, w_.get(), wb.data(), y_.get(),
                                                        dyb.data(), conv_.get(), bwd_data_.algo,
                                                        workspace(bwd_data_.memory), bwd_data_.memory, &zero,
                                                        x_.get(), dxb.data()));
        Bf16Operands<T>::from_nhwc(g.n, g.c, g.h * g.w, dxb.data(), dx, false);
        return;
      }
    }
    GALNET_CUDNN_CHECK(cudnnConvolutionBackwardData(cuda::cudnn(), &one, w_.get(), w, y_.get(), dy, conv_.get(),
                                                    bwd_data_.algo, workspace(bwd_data_.memory), bwd_data_.memory,
                                                    &zero, x_.get(), dx));
  }
  void backward_weight(const Conv2dGeometry& g, const T* x, const T* dy, T* dw, T* db) {
    prepare(g);
    const T one = 1, zero = 0;
    if constexpr (kBf16Capable) {
      if (bf16_) {  // cuDNN writes a bfloat16 gradient; it is added into the float32 one
        const Bf16Copy xb(g.n, g.c, g.h * g.w, x), dyb(g.n, g.o, g.ho * g.wo, dy);
        Tensor<bf16_bits, Cuda> dwb(Shape{g.o * g.c * g.kh * g.kw});
        GALNET_CUDNN_CHECK(cudnnConvolutionBackwardFilter(cuda::cudnn(), &one, x_.get(), xb.data(), y_.get(),
                                                          dyb.data(), conv_.get(), bwd_filter_.algo,
                                                          workspace(bwd_filter_.memory), bwd_filter_.memory, &zero,
                                                          w_.get(), dwb.data()));
        Bf16Operands<T>::from_nhwc(g.o, g.c, g.kh * g.kw, dwb.data(), dw, true);
      }
    }
    if (!bf16_)
      GALNET_CUDNN_CHECK(cudnnConvolutionBackwardFilter(cuda::cudnn(), &one, x_.get(), x, y_.get(), dy, conv_.get(),
                                                        bwd_filter_.algo, workspace(bwd_filter_.memory),
                                                        bwd_filter_.memory, &one, w_.get(), dw));
    if (db) GALNET_CUDNN_CHECK(cudnnConvolutionBackwardBias(cuda::cudnn(), &one, yt_.get(), dy, &one, b_.get(), db));
  }

  /// Whether the current geometry runs on bfloat16 operands (bf16 mode and cuDNN offers it).
  [[nodiscard]] bool uses_bf16() const { return bf16_; }

private:
  using Key = std::array<std::int64_t, 10>;  // the geometry and the math mode
  static Key key_of(const Conv2dGeometry& g) {
    return {g.n, g.c, g.h, g.w, g.o, g.kh, g.kw, g.stride, g.pad, static_cast<std::int64_t>(cuda::math_mode())};
  }
  struct Algorithms {
    cudnnConvolutionFwdAlgoPerf_t fwd;
    cudnnConvolutionBwdDataAlgoPerf_t bwd_data;
    cudnnConvolutionBwdFilterAlgoPerf_t bwd_filter;
    bool bf16;
  };
  /// A channels-last bfloat16 copy of an NCHW float tensor, from the caching allocator.
  struct Bf16Copy {
    Bf16Copy(std::int64_t n, std::int64_t c, std::int64_t hw, const T* src) : t(Shape{n * c * hw}) {
      Bf16Operands<T>::to_nhwc(n, c, hw, src, t.data());
    }
    [[nodiscard]] const bf16_bits* data() const { return t.data(); }
    Tensor<bf16_bits, Cuda> t;
  };
  /// Sets the descriptors of geometry g: element type T in NCHW, or (bf16) bfloat16 operands in
  /// NHWC with float32 compute on tensor cores. yt_ and b_ always describe T (bias passes).
  void describe(const Conv2dGeometry& g, bool bf16) {
    using namespace cudnn_detail;
    constexpr cudnnDataType_t t = data_type<T>();
    const cudnnDataType_t dt = bf16 ? CUDNN_DATA_BFLOAT16 : t;
    const cudnnTensorFormat_t layout = bf16 ? CUDNN_TENSOR_NHWC : CUDNN_TENSOR_NCHW;
    GALNET_CUDNN_CHECK(cudnnSetTensor4dDescriptor(x_.get(), layout, dt, to_int(g.n), to_int(g.c), to_int(g.h),
                                                  to_int(g.w)));
    GALNET_CUDNN_CHECK(cudnnSetTensor4dDescriptor(y_.get(), layout, dt, to_int(g.n), to_int(g.o), to_int(g.ho),
                                                  to_int(g.wo)));
    GALNET_CUDNN_CHECK(cudnnSetTensor4dDescriptor(yt_.get(), CUDNN_TENSOR_NCHW, t, to_int(g.n), to_int(g.o),
                                                  to_int(g.ho), to_int(g.wo)));
    GALNET_CUDNN_CHECK(cudnnSetTensor4dDescriptor(b_.get(), CUDNN_TENSOR_NCHW, t, 1, to_int(g.o), 1, 1));
    GALNET_CUDNN_CHECK(cudnnSetFilter4dDescriptor(w_.get(), dt, layout, to_int(g.o), to_int(g.c), to_int(g.kh),
                                                  to_int(g.kw)));
    GALNET_CUDNN_CHECK(cudnnSetConvolution2dDescriptor(conv_.get(), to_int(g.pad), to_int(g.pad), to_int(g.stride),
                                                       to_int(g.stride), 1, 1, CUDNN_CROSS_CORRELATION, t));
    // exact: FMA only; tf32: cuDNN's default math, which lets float convolutions use TF32 tensor
    // cores; bf16: tensor-core math on the bfloat16 operands.
    const bool tf32 = std::is_same_v<T, float> && cuda::math_mode() == cuda::MathMode::tf32;
    GALNET_CUDNN_CHECK(cudnnSetConvolutionMathType(
        conv_.get(), bf16 ? CUDNN_TENSOR_OP_MATH : tf32 ? CUDNN_DEFAULT_MATH : CUDNN_FMA_MATH));
  }
  /// This geometry's algorithms by cuDNN's heuristics (throws when a pass has none).
  Algorithms choose(bool bf16) {
    using namespace cudnn_detail;
    Algorithms a{};
    a.bf16 = bf16;
    int n = 0;
    cudnnConvolutionFwdAlgoPerf_t fwd[CUDNN_CONVOLUTION_FWD_ALGO_COUNT];
    GALNET_CUDNN_CHECK(cudnnGetConvolutionForwardAlgorithm_v7(cuda::cudnn(), x_.get(), w_.get(), conv_.get(), y_.get(),
                                                              CUDNN_CONVOLUTION_FWD_ALGO_COUNT, &n, fwd));
    a.fwd = pick(fwd, n, kMaxWorkspace, false, "forward");
    cudnnConvolutionBwdDataAlgoPerf_t bd[CUDNN_CONVOLUTION_BWD_DATA_ALGO_COUNT];
    GALNET_CUDNN_CHECK(cudnnGetConvolutionBackwardDataAlgorithm_v7(cuda::cudnn(), w_.get(), y_.get(), conv_.get(),
                                                                   x_.get(), CUDNN_CONVOLUTION_BWD_DATA_ALGO_COUNT, &n, bd));
    a.bwd_data = pick(bd, n, kMaxWorkspace, true, "data-gradient");
    cudnnConvolutionBwdFilterAlgoPerf_t bf[CUDNN_CONVOLUTION_BWD_FILTER_ALGO_COUNT];
    GALNET_CUDNN_CHECK(cudnnGetConvolutionBackwardFilterAlgorithm_v7(
        cuda::cudnn(), x_.get(), y_.get(), conv_.get(), w_.get(), CUDNN_CONVOLUTION_BWD_FILTER_ALGO_COUNT, &n, bf));
    a.bwd_filter = pick(bf, n, kMaxWorkspace, true, "weight-gradient");
    return a;
  }
  /// Descriptors for geometry g (reset when it changes, e.g. a last partial batch) and its
  /// algorithms, chosen on the first sight of each geometry and cached.
  void prepare(const Conv2dGeometry& g) {
    const Key key = key_of(g);
    if (ready_ && key == current_) return;
    const bool want_bf16 = kBf16Capable && cuda::math_mode() == cuda::MathMode::bf16;
    current_ = key;
    ready_ = false;  // until this geometry's algorithms are set (a failed choice retries)
    auto it = algorithms_.find(key);
    if (it == algorithms_.end()) {
      Algorithms a{};
      bool chosen = false;
      if (want_bf16) {
        try {
          describe(g, true);
          a = choose(true), chosen = true;
        } catch (const Error&) {  // cuDNN refuses bfloat16 for this shape: float32 it is
        }
      }
      if (!chosen) describe(g, false), a = choose(false);
      it = algorithms_.emplace(key, a).first;
    } else {
      describe(g, it->second.bf16);
    }
    fwd_ = it->second.fwd, bwd_data_ = it->second.bwd_data, bwd_filter_ = it->second.bwd_filter;
    bf16_ = it->second.bf16;
    ready_ = true;
  }
  void* workspace(std::size_t bytes) {
    if (bytes == 0) return nullptr;
    if (static_cast<std::size_t>(workspace_.numel()) < bytes) workspace_.resize(Shape{static_cast<std::int64_t>(bytes)});
    return workspace_.data();
  }

  cudnn_detail::TensorDesc x_, y_, yt_, b_;
  cudnn_detail::FilterDesc w_;
  cudnn_detail::ConvDesc conv_;
  cudnnConvolutionFwdAlgoPerf_t fwd_{};
  cudnnConvolutionBwdDataAlgoPerf_t bwd_data_{};
  cudnnConvolutionBwdFilterAlgoPerf_t bwd_filter_{};
  Key current_{};
  bool ready_ = false, bf16_ = false;
  std::map<Key, Algorithms> algorithms_;
  Tensor<unsigned char, Cuda> workspace_;
};

}  // namespace galnet::ops

#if defined(__NVCC__)
#pragma nv_diag_default 1444
#endif
#if defined(__GNUC__)
#pragma GCC diagnostic pop
#endif
