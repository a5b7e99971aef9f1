#include "apps/frame_sinks.h"

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <opencv2/highgui.hpp>

#include "vision/io/quiet_opencv.h"
#include "core/error.h"
#include "vision/io/image_io.h"

namespace vedkit {
namespace {

const char* const kWindow = "vedkit-caption";

}  // namespace

FrameSinks::FrameSinks(bool window, const std::string& video_out, const std::string& frames_dir,
                       double fps, cv::Size frame_size)
    : window_(window), frames_dir_(frames_dir) {
  if (window_) {
    if (std::getenv("DISPLAY") == nullptr && std::getenv("WAYLAND_DISPLAY") == nullptr) {
      throw Error(
          "no display to show frames on; use --headless, with --out FILE or --frames DIR "
          "to keep the annotated frames");
    }
    cv::namedWindow(kWindow, cv::WINDOW_AUTOSIZE);
  }
  if (!video_out.empty()) {
    const auto path = std::filesystem::path(video_out);
    const auto extension = path.extension().string();
    if (extension != ".avi" && extension != ".mp4") {
      throw DataError(video_out + ": write the video as .avi (MJPG) or .mp4 (mp4v)");
    }
    if (path.has_parent_path()) std::filesystem::create_directories(path.parent_path());
    const int codec = extension == ".avi" ? cv::VideoWriter::fourcc('M', 'J', 'P', 'G')
                                          : cv::VideoWriter::fourcc('m', 'p', '4', 'v');
    if (!open_quietly([&] { return writer_.open(video_out, codec, fps, frame_size); })) {
      throw DataError(video_out +
                      ": cannot write a video there (a folder you cannot write to, or "
                      "no " +
                      (extension == ".avi" ? "MJPG" : "mp4v") +
                      " encoder in this OpenCV "
                      "build: try " +
                      (extension == ".avi" ? ".mp4" : ".avi") + ")");
    }
  }
  if (!frames_dir_.empty()) std::filesystem::create_directories(frames_dir_);
}

FrameSinks::~FrameSinks() {
  if (window_) cv::destroyWindow(kWindow);
}

bool FrameSinks::put(const cv::Mat& frame, int64_t index, std::string& stop_reason) {
  if (writer_.isOpened()) writer_.write(frame);
  if (!frames_dir_.empty()) {
    char name[32];
    std::snprintf(name, sizeof(name), "/frame_%06lld.png", static_cast<long long>(index));
    write_png(frames_dir_ + name, frame);
  }
  if (!window_) return true;
  cv::imshow(kWindow, frame);
  const int key = cv::waitKey(1);
  if (key == 'q' || key == 27) {
    stop_reason = "q";
    return false;
  }
  if (cv::getWindowProperty(kWindow, cv::WND_PROP_VISIBLE) < 1) {
    stop_reason = "window closed";
    return false;
  }
  return true;
}

}  // namespace vedkit
