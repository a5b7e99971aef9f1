#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <opencv2/core/mat.hpp>
#include <opencv2/videoio.hpp>
#include <string>

namespace vedkit {

// A camera or a video file as a stream of frames. Opening reads the first frame, so a camera
// that is not there, a missing or undecodable file, and a video without frames are DataErrors
// that say which, before any thread starts.
class FrameSource {
 public:
  static std::unique_ptr<FrameSource> open_camera(int index);
  // paced: deliver frames at the file's fps, as a live stream would; otherwise as fast as
  // they are asked for. skip: start after this many frames.
  static std::unique_ptr<FrameSource> open_video(const std::string& path, bool paced = true,
                                                 int64_t skip = 0);

  // The next frame (a new buffer each time) and its time in seconds: the position in a video
  // (skipped frames included), the time since opening for a camera. False at the end.
  bool read(cv::Mat& frame, double& seconds);

  // A camera cannot wait: frames the display has not taken in time are dropped. A video file
  // waits for the display, so every frame is shown.
  bool is_live() const { return live_; }
  double fps() const { return fps_; }  // the file's, or what the camera reports (30 if nothing)
  cv::Size frame_size() const { return size_; }
  const std::string& name() const { return name_; }
  int64_t frames_read() const { return frames_read_; }

 private:
  FrameSource(cv::VideoCapture capture, cv::Mat first, std::string name, bool live, bool paced);

  cv::VideoCapture capture_;
  std::string name_;
  bool live_;
  bool paced_;
  double fps_ = 30.0;
  cv::Mat first_;  // read when opening, handed out by the first read()
  cv::Size size_;
  int64_t frames_read_ = 0;
  int64_t skipped_ = 0;
  std::chrono::steady_clock::time_point start_;
};

}  // namespace vedkit
