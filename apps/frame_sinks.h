#pragma once

#include <cstdint>
#include <opencv2/core/mat.hpp>
#include <opencv2/videoio.hpp>
#include <string>

namespace vedkit {

// Where annotated frames go: an OpenCV window, a video file, numbered PNGs, any of them.
// Everything is opened up front, so a missing display or an unwritable video is an Error
// before the stream starts.
class FrameSinks {
 public:
  // video_out: .avi (MJPG) or .mp4 (mp4v), at fps; "" for none. frames_dir: "" for none.
  FrameSinks(bool window, const std::string& video_out, const std::string& frames_dir, double fps,
             cv::Size frame_size);
  ~FrameSinks();

  // Passes frame on. False when the user asked to stop (q, Esc, closing the window), with
  // the reason in stop_reason.
  bool put(const cv::Mat& frame, int64_t index, std::string& stop_reason);

 private:
  bool window_;
  cv::VideoWriter writer_;
  std::string frames_dir_;
};

}  // namespace vedkit
