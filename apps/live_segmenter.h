#pragma once

#include <ostream>

#include "apps/live_stream.h"
#include "vision/io/segment_image.h"

namespace vedkit {

// Live segmentation (run_live): each analysed frame's classes as a colour overlay with a
// legend, drawn over every frame shown until the next; one JSON line per analysed frame goes to
// out (time, frame, ms, and each class present with its share of the pixels).
class LiveSegmenter : public FrameAnalyzer {
 public:
  LiveSegmenter(LoadedSegmentationModel& model, SegmentImageOptions options, std::ostream& out);
  Drawing analyze(const Frame& frame) override;

 private:
  LoadedSegmentationModel& model_;
  SegmentImageOptions options_;
  std::ostream& out_;
};

}  // namespace vedkit
