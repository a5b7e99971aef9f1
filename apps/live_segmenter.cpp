#include "apps/live_segmenter.h"

#include <torch/torch.h>

#include <chrono>
#include <cstdio>

#include "vision/io/image_io.h"
#include "vision/io/overlay.h"

namespace vedkit {

LiveSegmenter::LiveSegmenter(LoadedSegmentationModel& model, SegmentImageOptions options,
                             std::ostream& out)
    : model_(model), options_(std::move(options)), out_(out) {}

FrameAnalyzer::Drawing LiveSegmenter::analyze(const Frame& frame) {
  const auto began = std::chrono::steady_clock::now();
  at::Tensor classes;
  {
    torch::InferenceMode inference;
    const auto image = image_to_tensor(frame.image, model_.model->in_channels()).unsqueeze(0);
    classes = predict_classes(*model_.model, image, options_.predict)[0];  // [H, W]
  }
  const double ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - began).count();
  char head[128];
  std::snprintf(head, sizeof(head),
                "{\"time\": %.3f, \"frame\": %lld, \"ms\": %.1f, \"classes\": ", frame.seconds,
                static_cast<long long>(frame.index), ms);
  out_ << head << class_shares_json(classes, model_) << "}" << std::endl;
  return [this, classes](cv::Mat& shown) {
    shown = overlay_mask(shown, classes, model_.class_names, options_.overlay_alpha);
  };
}

}  // namespace vedkit
