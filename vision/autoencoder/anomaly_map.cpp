#include "vision/autoencoder/anomaly_map.h"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>

#include "core/error.h"
#include "vision/layers/gaussian_blur.h"

namespace vedkit {

AnomalyMaps anomaly_maps_of(const at::Tensor& images, const at::Tensor& reconstructions,
                            double sigma) {
  auto error = (reconstructions - images).square().mean(1, /*keepdim=*/true);  // [N, 1, H, W]
  if (sigma > 0) error = gaussian_blur(error, sigma, BlurBorder::replicate);
  auto maps = error.squeeze(1);
  return {maps, maps.flatten(1).amax(1).to(torch::kDouble)};
}

AnomalyMaps anomaly_maps(AutoencoderModel& model, const at::Tensor& images, double sigma,
                         int64_t batch_size) {
  torch::InferenceMode inference;
  std::vector<at::Tensor> maps, scores;
  for (int64_t start = 0; start < images.size(0); start += batch_size) {
    auto batch = images.narrow(0, start, std::min(batch_size, images.size(0) - start)).to(torch::kFloat);
    if (images.scalar_type() == torch::kUInt8) batch = batch / 255;
    const auto reconstruction = model->viewable(model->forward(batch).reconstruction);
    auto part = anomaly_maps_of(model->viewable(model->target(batch)), reconstruction, sigma);
    maps.push_back(part.maps);
    scores.push_back(part.scores);
  }
  return {torch::cat(maps), torch::cat(scores)};
}

double anomaly_threshold(std::vector<double> normal_scores, double quantile) {
  if (normal_scores.empty()) throw Error("anomaly threshold: no normal images to choose it on");
  std::sort(normal_scores.begin(), normal_scores.end());
  const double position = quantile * static_cast<double>(normal_scores.size() - 1);
  const auto below = static_cast<size_t>(std::floor(position));
  const size_t above = std::min(below + 1, normal_scores.size() - 1);
  return normal_scores[below] + (position - static_cast<double>(below)) *
                                    (normal_scores[above] - normal_scores[below]);
}

}  // namespace vedkit
