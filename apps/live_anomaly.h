#pragma once

#include <cstdint>
#include <ostream>
#include <vector>

#include "apps/live_stream.h"
#include "vision/autoencoder/autoencoder_model.h"

namespace vedkit {

// Live anomaly maps (run_live): each analysed frame's map, as image_anomaly computes it at the
// scale the model trained at, drawn as a heat map over every frame shown until the next, with
// its score and verdict; one JSON line per analysed frame goes to out (time, frame, score, and
// whether it is above threshold, where there is one: NaN for none).
class LiveAnomaly : public FrameAnalyzer {
 public:
  LiveAnomaly(AutoencoderModel& model, std::vector<int64_t> trained_size, double threshold,
              std::ostream& out);
  Drawing analyze(const Frame& frame) override;

 private:
  AutoencoderModel& model_;
  std::vector<int64_t> trained_size_;
  double threshold_;
  std::ostream& out_;
};

}  // namespace vedkit
