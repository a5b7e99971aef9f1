#pragma once

#include <cstdint>
#include <functional>
#include <opencv2/core/mat.hpp>
#include <string>

#include "apps/frame_source.h"
#include "apps/latest_frame.h"

namespace vedkit {

struct LiveOptions {
  bool show = true;               // an OpenCV window (q, Esc or closing it stops)
  std::string video_out;          // the annotated frames as a video: .avi (MJPG) or .mp4 (mp4v)
  std::string frames_dir;         // the annotated frames as PNGs
  int64_t inference_threads = 0;  // 0: every core but one, which capture and display need
};

struct LiveReport {
  std::string source;
  std::string ended_by;  // end of stream | q | window closed | Ctrl-C
  int64_t frames_read = 0;
  int64_t frames_shown = 0;
  int64_t analyses = 0;
  double seconds = 0.0;           // from the first frame shown to the last
  double analysis_seconds = 0.0;  // the model's time, summed
};

// What a live stream does with its frames. analyze runs on the worker thread, on the newest
// frame whenever the worker is free, and returns how to draw its result; the display draws the
// latest result on every frame it shows.
class FrameAnalyzer {
 public:
  using Drawing = std::function<void(cv::Mat& shown)>;
  virtual ~FrameAnalyzer() = default;
  virtual Drawing analyze(const Frame& frame) = 0;
};

// Shows (or writes) every frame source delivers with the latest analysis drawn on it, while a
// worker thread analyses the newest frame, so the display never waits for the model.
// Ctrl-C (with install_interrupt_handler) ends the stream cleanly.
LiveReport run_live(FrameSource& source, FrameAnalyzer& analyzer, const LiveOptions& options);

// One line: frames shown, display fps, dropped frames, analyses (named by `analyses`, as
// "captions") and their rate.
std::string format_report(const LiveReport& report, const std::string& analyses);

}  // namespace vedkit
