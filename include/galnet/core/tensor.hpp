// galnet/core/tensor.hpp — Tensor<T, Device>: owning, contiguous, 64-byte aligned, NCHW.
//
// Contract
//   - Elements are contiguous in row-major order of the shape (NCHW for images, [N, F] for
//     features); strides() gives the element strides.
//   - resize() keeps the allocation when the new size fits in the capacity, so a layer that
//     resizes its buffers every batch allocates only on the first one (or when the batch grows).
//   - A CPU tensor may take its memory from another HostMemory (page-locked, for GPU copies);
//     copies of it take the default.
//   - Copy is deep; move is cheap. TensorView is the non-owning counterpart (a batch slice, a
//     reshape) and never outlives the tensor it views.
//   - Index and shape errors throw galnet::Error naming the expected and actual shapes.
#pragma once
#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <type_traits>
#include <utility>
#include <vector>

#include "galnet/core/device.hpp"
#include "galnet/core/error.hpp"
#include "galnet/core/shape.hpp"

namespace galnet {

/// Contiguous row-major element strides of `s`.
inline std::array<std::int64_t, Shape::kMaxRank> contiguous_strides(const Shape& s) {
  std::array<std::int64_t, Shape::kMaxRank> st{};
  std::int64_t acc = 1;
  for (int i = s.rank() - 1; i >= 0; --i) {
    st[i] = acc;
    acc *= s[i];
  }
  return st;
}

/// A non-owning view of contiguous elements with a shape.
template <class T, class D = Cpu>
class TensorView {
public:
  using value_type = std::remove_const_t<T>;
  using device_type = D;

  TensorView() = default;
  TensorView(T* data, Shape shape) : data_(data), shape_(shape) {}
  /// A view of mutable elements converts to a view of const ones.
  template <class U>
    requires(std::is_const_v<T> && std::is_same_v<std::remove_const_t<T>, U>)
  TensorView(const TensorView<U, D>& o) : data_(o.data()), shape_(o.shape()) {}  // NOLINT

  [[nodiscard]] T* data() const { return data_; }
  [[nodiscard]] const Shape& shape() const { return shape_; }
  [[nodiscard]] std::int64_t numel() const { return shape_.numel(); }
  [[nodiscard]] std::int64_t dim(int i) const { return shape_[i]; }
  [[nodiscard]] int rank() const { return shape_.rank(); }
  T& operator[](std::int64_t i) const
    requires std::is_same_v<D, Cpu>
  {
    return data_[i];
  }
  /// The same elements under another shape of equal size.
  [[nodiscard]] TensorView reshape(const Shape& s) const {
    GALNET_CHECK(s.numel() == numel(), "galnet::TensorView::reshape: cannot view ", shape_.str(),
                 " (", numel(), " elements) as ", s.str());
    return {data_, s};
  }
  /// Items [begin, end) along the first axis.
  [[nodiscard]] TensorView slice(std::int64_t begin, std::int64_t end) const {
    GALNET_CHECK(rank() >= 1 && 0 <= begin && begin <= end && end <= shape_[0],
                 "galnet::TensorView::slice: range [", begin, ", ", end, ") invalid for shape ",
                 shape_.str());
    Shape s = shape_;
    s[0] = end - begin;
    return {data_ + begin * shape_.numel_from(1), s};
  }

private:
  T* data_ = nullptr;
  Shape shape_;
};

template <class T, class D = Cpu>
class Tensor {
  static_assert(std::is_trivially_copyable_v<T>, "galnet::Tensor holds trivially copyable numbers");

public:
  using value_type = T;
  using device_type = D;

  Tensor() = default;
  explicit Tensor(const Shape& shape) { resize(shape); }
  Tensor(const Shape& shape, T value)
    requires std::is_same_v<D, Cpu>
  {
    resize(shape);
    fill(value);
  }
  /// A tensor of `shape` holding `values` (row-major); sizes must agree.
  static Tensor from(const Shape& shape, const std::vector<T>& values)
    requires std::is_same_v<D, Cpu>
  {
    GALNET_CHECK(static_cast<std::int64_t>(values.size()) == shape.numel(),
                 "galnet::Tensor::from: ", values.size(), " values for shape ", shape.str(),
                 " which holds ", shape.numel());
    Tensor t(shape);
    std::copy(values.begin(), values.end(), t.data());
    return t;
  }

  Tensor(const Tensor& o)
    requires std::is_same_v<D, Cpu>
  {
    resize(o.shape_);
    if (numel()) std::memcpy(data_, o.data_, sizeof(T) * numel());
  }
  Tensor& operator=(const Tensor& o)
    requires std::is_same_v<D, Cpu>
  {
    if (this != &o) {
      resize(o.shape_);
      if (numel()) std::memcpy(data_, o.data_, sizeof(T) * numel());
    }
    return *this;
  }
  Tensor(Tensor&& o) noexcept { swap(o); }
  Tensor& operator=(Tensor&& o) noexcept {
    swap(o);
    return *this;
  }
  ~Tensor() { release(); }
  void swap(Tensor& o) noexcept {
    std::swap(data_, o.data_);
    std::swap(capacity_, o.capacity_);
    std::swap(shape_, o.shape_);
    std::swap(host_memory_, o.host_memory_);
  }

  /// Sets the shape; reallocates only if the new size exceeds the capacity. Contents are
  /// unspecified afterwards.
  void resize(const Shape& shape) {
    const auto n = static_cast<std::size_t>(shape.numel());
    if (n > capacity_) {
      release();
      data_ = static_cast<T*>(host_memory_ ? host_memory_->allocate(n * sizeof(T)) : D::allocate(n * sizeof(T)));
      capacity_ = n;
    }
    shape_ = shape;
  }
  /// Takes this tensor's memory from `m` (nullptr: Cpu's default), as PyTorch's pin_memory;
  /// when `m` is new to it, the current shape is reallocated there (contents lost).
  void use_host_memory(const HostMemory* m)
    requires std::is_same_v<D, Cpu>
  {
    if (m == host_memory_) return;
    const bool held = data_ != nullptr;
    release();
    host_memory_ = m;
    if (held) resize(shape_);
  }
  /// Where this tensor's allocations come from: nullptr for the device's default.
  [[nodiscard]] const HostMemory* host_memory() const { return host_memory_; }
  /// Changes the shape in place, keeping the elements; sizes must agree.
  void reshape(const Shape& shape) {
    GALNET_CHECK(shape.numel() == numel(), "galnet::Tensor::reshape: cannot reshape ",
                 shape_.str(), " (", numel(), " elements) to ", shape.str());
    shape_ = shape;
  }

  [[nodiscard]] T* data() { return data_; }
  [[nodiscard]] const T* data() const { return data_; }
  [[nodiscard]] const Shape& shape() const { return shape_; }
  [[nodiscard]] std::int64_t numel() const { return shape_.numel(); }
  [[nodiscard]] bool empty() const { return shape_.rank() == 0 || numel() == 0; }
  [[nodiscard]] int rank() const { return shape_.rank(); }
  [[nodiscard]] std::int64_t dim(int i) const { return shape_[i]; }
  [[nodiscard]] std::array<std::int64_t, Shape::kMaxRank> strides() const {
    return contiguous_strides(shape_);
  }

  T& operator[](std::int64_t i)
    requires std::is_same_v<D, Cpu>
  {
    return data_[i];
  }
  const T& operator[](std::int64_t i) const
    requires std::is_same_v<D, Cpu>
  {
    return data_[i];
  }
  /// Element at a full multi-index, bounds-checked (for tests and tools, not hot loops).
  template <class... I>
  T& at(I... idx)
    requires(std::is_same_v<D, Cpu> && (std::is_integral_v<I> && ...))
  {
    return data_[offset({static_cast<std::int64_t>(idx)...})];
  }
  template <class... I>
  const T& at(I... idx) const
    requires(std::is_same_v<D, Cpu> && (std::is_integral_v<I> && ...))
  {
    return data_[offset({static_cast<std::int64_t>(idx)...})];
  }

  /// Sets every element to `value` (on a GPU: staged through the host; meant for initialisation).
  void fill(T value) {
    if constexpr (std::is_same_v<D, Cpu>) {
      std::fill_n(data_, numel(), value);
    } else {
      const std::vector<T> host(static_cast<std::size_t>(numel()), value);
      DeviceMemory<D>::upload(data_, host.data(), sizeof(T) * host.size());
    }
  }
  void zero() { DeviceMemory<D>::zero(data_, sizeof(T) * static_cast<std::size_t>(numel())); }
  /// Copies `src` (same number of elements, same device) into this tensor, keeping this shape.
  void copy_from(TensorView<const T, D> src) {
    GALNET_CHECK(src.numel() == numel(), "galnet::Tensor::copy_from: source ", src.shape().str(),
                 " does not fit ", shape_.str());
    DeviceMemory<D>::copy(data_, src.data(), sizeof(T) * static_cast<std::size_t>(numel()));
  }
  /// Copies `n = numel()` host values into this tensor (on any device).
  void upload(const T* host) { DeviceMemory<D>::upload(data_, host, sizeof(T) * static_cast<std::size_t>(numel())); }
  /// Copies the `numel()` values into host memory (on any device; synchronous).
  void download(T* host) const {
    DeviceMemory<D>::download(host, data_, sizeof(T) * static_cast<std::size_t>(numel()));
  }

  [[nodiscard]] TensorView<T, D> view() { return {data_, shape_}; }
  [[nodiscard]] TensorView<const T, D> view() const { return {data_, shape_}; }
  operator TensorView<T, D>() { return view(); }              // NOLINT: views convert implicitly
  operator TensorView<const T, D>() const { return view(); }  // NOLINT
  [[nodiscard]] TensorView<T, D> slice(std::int64_t b, std::int64_t e) { return view().slice(b, e); }
  [[nodiscard]] TensorView<const T, D> slice(std::int64_t b, std::int64_t e) const {
    return view().slice(b, e);
  }
  std::vector<T> to_vector() const
    requires std::is_same_v<D, Cpu>
  {
    return {data_, data_ + numel()};
  }

private:
  std::int64_t offset(std::initializer_list<std::int64_t> idx) const {
    GALNET_CHECK(static_cast<int>(idx.size()) == rank(), "galnet::Tensor::at: ", idx.size(),
                 " indices for a tensor of shape ", shape_.str());
    const auto st = strides();
    std::int64_t off = 0;
    int i = 0;
    for (auto v : idx) {
      GALNET_CHECK(v >= 0 && v < shape_[i], "galnet::Tensor::at: index ", v, " out of range at axis ",
                   i, " of shape ", shape_.str());
      off += v * st[i++];
    }
    return off;
  }
  void release() noexcept {
    if (data_) host_memory_ ? host_memory_->deallocate(data_) : D::deallocate(data_);
    data_ = nullptr;
    capacity_ = 0;
  }

  T* data_ = nullptr;
  std::size_t capacity_ = 0;
  Shape shape_;
  const HostMemory* host_memory_ = nullptr;
};

/// Throws unless `t` has exactly `expected` shape; `who` names the layer or op for the message.
template <class TensorLike>
void check_shape(const TensorLike& t, const Shape& expected, const char* who, const char* what) {
  GALNET_CHECK(t.shape() == expected, who, ": ", what, " has shape ", t.shape().str(),
               ", expected ", expected.str());
}

}  // namespace galnet
