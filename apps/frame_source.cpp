#include "apps/frame_source.h"

#include <filesystem>
#include <thread>

#include "vision/io/quiet_opencv.h"
#include "core/error.h"

namespace vedkit {

FrameSource::FrameSource(cv::VideoCapture capture, cv::Mat first, std::string name, bool live,
                         bool paced)
    : capture_(std::move(capture)),
      name_(std::move(name)),
      live_(live),
      paced_(paced),
      first_(std::move(first)),
      size_(first_.size()),
      start_(std::chrono::steady_clock::now()) {
  const double reported = capture_.get(cv::CAP_PROP_FPS);
  if (reported > 0 && reported < 1000) fps_ = reported;
}

std::unique_ptr<FrameSource> FrameSource::open_camera(int index) {
  const std::string name = "camera " + std::to_string(index);
  cv::VideoCapture capture;
  cv::Mat first;
  if (!open_quietly([&] { return capture.open(index) && capture.read(first) && !first.empty(); })) {
    throw DataError(name +
                    ": cannot be opened (not connected, or in use by another program); "
                    "Linux lists cameras as /dev/video*");
  }
  return std::unique_ptr<FrameSource>(
      new FrameSource(std::move(capture), std::move(first), name, true, false));
}

std::unique_ptr<FrameSource> FrameSource::open_video(const std::string& path, bool paced,
                                                     int64_t skip) {
  if (!std::filesystem::is_regular_file(path)) throw DataError(path + ": no such video file");
  cv::VideoCapture capture;
  cv::Mat first;
  if (!open_quietly([&] { return capture.open(path) && capture.read(first) && !first.empty(); })) {
    throw DataError(path +
                    ": cannot be read as a video (corrupt, or a format this OpenCV build "
                    "does not decode)");
  }
  // Read, not sought: seeking lands on key frames in many formats.
  for (int64_t i = 0; i < skip; ++i) {
    if (!capture.read(first) || first.empty()) {
      throw DataError(path + ": has " + std::to_string(i + 1) + " frames, not more than the " +
                      std::to_string(skip) + " to skip; skip fewer");
    }
  }
  auto source = std::unique_ptr<FrameSource>(
      new FrameSource(std::move(capture), std::move(first), path, false, paced));
  source->skipped_ = skip;
  return source;
}

bool FrameSource::read(cv::Mat& frame, double& seconds) {
  if (frames_read_ == 0) {
    if (!live_) start_ = std::chrono::steady_clock::now();
    frame = first_;
    first_.release();
  } else {
    frame = cv::Mat();
    if (!capture_.read(frame) || frame.empty()) return false;
  }
  if (live_) {
    seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  } else {
    const double shown_for = static_cast<double>(frames_read_) / fps_;
    if (paced_) std::this_thread::sleep_until(start_ + std::chrono::duration<double>(shown_for));
    seconds = static_cast<double>(skipped_ + frames_read_) / fps_;
  }
  ++frames_read_;
  return true;
}

}  // namespace vedkit
