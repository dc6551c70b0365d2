// galnet/core/shape.hpp — a tensor's extents, up to rank 6, held inline (no heap).
#pragma once
#include <array>
#include <cstdint>
#include <initializer_list>
#include <ostream>
#include <string>
#include <vector>

#include "galnet/core/error.hpp"

namespace galnet {

class Shape {
public:
  static constexpr int kMaxRank = 6;

  constexpr Shape() = default;
  Shape(std::initializer_list<std::int64_t> dims) { assign(dims.begin(), dims.end()); }
  explicit Shape(const std::vector<std::int64_t>& dims) { assign(dims.begin(), dims.end()); }

  [[nodiscard]] constexpr int rank() const { return rank_; }
  [[nodiscard]] std::int64_t operator[](int i) const { return dims_[check_axis(i)]; }
  std::int64_t& operator[](int i) { return dims_[check_axis(i)]; }
  /// Product of the extents; 1 for rank 0.
  [[nodiscard]] std::int64_t numel() const {
    std::int64_t n = 1;
    for (int i = 0; i < rank_; ++i) n *= dims_[i];
    return n;
  }
  /// Product of extents from axis `from` on (the size of one item along `from - 1`).
  [[nodiscard]] std::int64_t numel_from(int from) const {
    std::int64_t n = 1;
    for (int i = from; i < rank_; ++i) n *= dims_[i];
    return n;
  }
  [[nodiscard]] std::vector<std::int64_t> to_vector() const {
    return {dims_.begin(), dims_.begin() + rank_};
  }
  [[nodiscard]] std::string str() const {
    std::string s = "[";
    for (int i = 0; i < rank_; ++i) s += (i ? ", " : "") + std::to_string(dims_[i]);
    return s + "]";
  }
  friend bool operator==(const Shape& a, const Shape& b) {
    if (a.rank_ != b.rank_) return false;
    for (int i = 0; i < a.rank_; ++i)
      if (a.dims_[i] != b.dims_[i]) return false;
    return true;
  }
  friend std::ostream& operator<<(std::ostream& os, const Shape& s) { return os << s.str(); }

private:
  template <class It>
  void assign(It first, It last) {
    const auto n = static_cast<int>(last - first);
    GALNET_CHECK(n <= kMaxRank, "galnet::Shape: rank ", n, " exceeds the maximum ", kMaxRank);
    rank_ = n;
    for (int i = 0; first != last; ++first, ++i) {
      GALNET_CHECK(*first >= 0, "galnet::Shape: negative extent ", *first, " at axis ", i);
      dims_[i] = *first;
    }
  }
  [[nodiscard]] int check_axis(int i) const {
    if (i < 0) i += rank_;
    GALNET_CHECK(i >= 0 && i < rank_, "galnet::Shape: axis ", i, " out of range for shape of rank ",
                 rank_);
    return i;
  }

  std::array<std::int64_t, kMaxRank> dims_{};
  int rank_ = 0;
};

}  // namespace galnet
