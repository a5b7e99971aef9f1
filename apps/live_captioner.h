#pragma once

#include <cstdint>
#include <ostream>
#include <string>

#include "apps/frame_captioner.h"
#include "apps/live_stream.h"

namespace vedkit {

struct LiveCaptionOptions {
  bool json = false;          // caption lines as JSON
  std::string attention_dir;  // attention maps of the first attention_limit new captions
  int64_t attention_limit = 20;
};

// Live captioning (run_live): the latest caption drawn on every frame; each caption that has
// words and differs from the last one printed goes to out with its frame time.
class LiveCaptioner : public FrameAnalyzer {
 public:
  LiveCaptioner(FrameCaptioner& captioner, LiveCaptionOptions options, std::ostream& out);
  Drawing analyze(const Frame& frame) override;

 private:
  FrameCaptioner& captioner_;
  LiveCaptionOptions options_;
  std::ostream& out_;
  std::string printed_;
  int64_t attention_written_ = 0;
};

}  // namespace vedkit
