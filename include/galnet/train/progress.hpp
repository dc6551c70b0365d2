// galnet/train/progress.hpp — a progress line for training: a bar with loss, samples/s and ETA
// redrawn in place on a terminal; on a pipe or file, one plain line per epoch only.
#pragma once
#include <chrono>
#include <cstdio>
#include <string>
#if __has_include(<unistd.h>)
#include <unistd.h>
#endif

namespace galnet::train {

class Progress {
public:
  /// `bar`: redraw a bar in place when `out` is a terminal (otherwise plain epoch lines).
  explicit Progress(std::FILE* out = stderr, bool bar = true) : out_(out) {
#if __has_include(<unistd.h>)
    tty_ = bar && ::isatty(::fileno(out)) != 0;
#endif
  }
  [[nodiscard]] bool interactive() const { return tty_; }

  void start(int epoch, int epochs, std::size_t batches) {
    epoch_ = epoch, epochs_ = epochs, batches_ = batches, done_ = 0, samples_ = 0;
    t0_ = std::chrono::steady_clock::now();
  }
  /// After each batch: `samples` in it and the running mean loss.
  void update(std::size_t samples, double loss) {
    ++done_;
    samples_ += samples;
    if (!tty_) return;
    const double s = seconds();
    const double rate = s > 0 ? static_cast<double>(samples_) / s : 0.0;
    const double eta = done_ ? s / static_cast<double>(done_) * static_cast<double>(batches_ - done_) : 0.0;
    const int width = 28, filled = batches_ ? static_cast<int>(width * done_ / batches_) : width;
    std::fprintf(out_, "\repoch %d/%d [%s%s] %zu/%zu  loss %.4f  %.1f samples/s  ETA %s   ", epoch_ + 1, epochs_,
                 std::string(static_cast<std::size_t>(filled), '#').c_str(),
                 std::string(static_cast<std::size_t>(width - filled), '.').c_str(), done_, batches_, loss, rate,
                 clock(eta).c_str());
    std::fflush(out_);
  }
  /// The epoch's closing line.
  void finish(const std::string& summary) {
    std::fprintf(out_, "%sepoch %d/%d  %s  (%.1f s, %.1f samples/s)\n", tty_ ? "\r\033[K" : "", epoch_ + 1, epochs_,
                 summary.c_str(), seconds(), seconds() > 0 ? static_cast<double>(samples_) / seconds() : 0.0);
    std::fflush(out_);
  }
  [[nodiscard]] double seconds() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0_).count();
  }

private:
  static std::string clock(double s) {
    char buf[32];
    const int t = static_cast<int>(s + 0.5);
    std::snprintf(buf, sizeof buf, "%d:%02d:%02d", t / 3600, t / 60 % 60, t % 60);
    return buf;
  }
  std::FILE* out_;
  bool tty_ = false;
  int epoch_ = 0, epochs_ = 0;
  std::size_t batches_ = 0, done_ = 0, samples_ = 0;
  std::chrono::steady_clock::time_point t0_;
};

}  // namespace galnet::train
