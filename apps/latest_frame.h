#pragma once

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <opencv2/core/mat.hpp>
#include <optional>

namespace vedkit {

struct Frame {
  cv::Mat image;  // not written to once published: readers share it
  int64_t index = -1;
  double seconds = 0.0;
};

// The newest frame of a stream, written by the capture thread and read by the display (every
// frame it can get) and the caption worker (the newest whenever it is free). Closing it, from
// either side, ends the stream for everyone.
class LatestFrame {
 public:
  // Publishes frame. With wait_until_shown it first waits until the display has taken the
  // previous frame, so none is dropped. False once closed.
  bool put(Frame frame, bool wait_until_shown) {
    std::unique_lock<std::mutex> lock(mutex_);
    changed_.wait(lock, [&] { return closed_ || !wait_until_shown || shown_ == frame_.index; });
    if (closed_) return false;
    frame_ = std::move(frame);
    changed_.notify_all();
    return true;
  }

  // The display: waits for a frame newer than the last one it took. After close it still gets
  // the frame that was waiting; then nullopt.
  std::optional<Frame> take_to_show() {
    std::unique_lock<std::mutex> lock(mutex_);
    changed_.wait(lock, [&] { return closed_ || frame_.index > shown_; });
    if (frame_.index <= shown_) return std::nullopt;
    shown_ = frame_.index;
    changed_.notify_all();
    return frame_;
  }

  // The worker: waits for a frame newer than index `after`; nullopt once closed.
  std::optional<Frame> newest_after(int64_t after) {
    std::unique_lock<std::mutex> lock(mutex_);
    changed_.wait(lock, [&] { return closed_ || frame_.index > after; });
    if (closed_) return std::nullopt;
    return frame_;
  }

  void close() {
    std::lock_guard<std::mutex> lock(mutex_);
    closed_ = true;
    changed_.notify_all();
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  Frame frame_;
  int64_t shown_ = -1;
  bool closed_ = false;
};

}  // namespace vedkit
