#include "apps/live_anomaly.h"

#include <torch/torch.h>

#include <cmath>
#include <cstdio>

#include "apps/text_band.h"
#include "vision/autoencoder/anomaly_map.h"
#include "vision/io/image_io.h"
#include "vision/io/overlay.h"

namespace vedkit {

LiveAnomaly::LiveAnomaly(AutoencoderModel& model, std::vector<int64_t> trained_size,
                         double threshold, std::ostream& out)
    : model_(model), trained_size_(std::move(trained_size)), threshold_(threshold), out_(out) {}

FrameAnalyzer::Drawing LiveAnomaly::analyze(const Frame& frame) {
  torch::InferenceMode inference;
  const auto [map, score] =
      image_anomaly(model_, image_to_tensor(frame.image, model_->in_channels()), trained_size_);
  const bool judged = std::isfinite(threshold_);
  const bool anomalous = judged && score > threshold_;
  char line[256];
  std::snprintf(line, sizeof(line), "{\"time\": %.3f, \"frame\": %lld, \"score\": %.6g%s}",
                frame.seconds, static_cast<long long>(frame.index), score,
                judged ? (anomalous ? ", \"anomalous\": true" : ", \"anomalous\": false") : "");
  out_ << line << std::endl;

  // As vedkit-reconstruct --anomaly draws it: the threshold at the middle of the colour scale.
  const auto colours = heat_colours(map, judged ? 2 * threshold_ : map.max().item<double>());
  char caption[128];
  if (judged) {
    std::snprintf(caption, sizeof(caption), "score %.4g (threshold %.4g): %s", score, threshold_,
                  anomalous ? "ANOMALOUS" : "normal");
  } else {
    std::snprintf(caption, sizeof(caption), "score %.4g", score);
  }
  return [colours, text = std::string(caption)](cv::Mat& shown) {
    shown = blend_over(shown, colours);
    draw_text_band(shown, text);
  };
}

}  // namespace vedkit
