#pragma once

#include <cstdint>
#include <ostream>
#include <string>

#include "apps/frame_captioner.h"
#include "apps/frame_source.h"

namespace vedkit {

struct LiveCaptionOptions {
  bool show = true;           // an OpenCV window (q, Esc or closing it stops)
  std::string video_out;      // the annotated frames as a video: .avi (MJPG) or .mp4 (mp4v)
  std::string frames_dir;     // the annotated frames as PNGs
  bool json = false;          // caption lines as JSON
  std::string attention_dir;  // attention maps of the first attention_limit new captions
  int64_t attention_limit = 20;
  int64_t inference_threads = 0;  // 0: every core but one, which capture and display need
};

struct LiveCaptionReport {
  std::string source;
  std::string ended_by;  // end of stream | q | window closed | Ctrl-C
  int64_t frames_read = 0;
  int64_t frames_shown = 0;
  int64_t captions = 0;
  double seconds = 0.0;          // from the first frame shown to the last
  double caption_seconds = 0.0;  // captioning time, summed
};

// Shows (or writes) every frame source delivers with the latest caption drawn on it, while a
// worker thread captions the newest frame whenever it is free, so the display never waits for
// the model. Each caption that has words and differs from the last one printed goes to out
// with its frame time.
// Ctrl-C (with install_interrupt_handler) ends the stream cleanly.
LiveCaptionReport run_live_captioning(FrameSource& source, FrameCaptioner& captioner,
                                      const LiveCaptionOptions& options, std::ostream& out);

// One line: frames shown, display fps, dropped frames, captions and their rate.
std::string format_report(const LiveCaptionReport& report);

}  // namespace vedkit
