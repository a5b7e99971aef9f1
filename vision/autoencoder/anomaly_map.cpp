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

ImageAnomaly image_anomaly(AutoencoderModel& model, const at::Tensor& image,
                           const std::vector<int64_t>& trained_size) {
  namespace F = torch::nn::functional;
  torch::InferenceMode inference;
  const auto original =
      image.scalar_type() == torch::kUInt8 ? image.to(torch::kFloat) / 255 : image.to(torch::kFloat);
  const int64_t height = original.size(1), width = original.size(2);
  std::vector<int64_t> size = model->input_size();
  if (size.empty()) {
    const double scale = std::max(static_cast<double>(trained_size[0]) / height,
                                  static_cast<double>(trained_size[1]) / width);
    size = {std::max<int64_t>(1, std::lround(height * scale)),
            std::max<int64_t>(1, std::lround(width * scale))};
  }
  const auto seen = F::interpolate(original.unsqueeze(0),
                                   F::InterpolateFuncOptions().size(size).mode(torch::kArea));
  const auto result = anomaly_maps(model, seen);
  const auto map = F::interpolate(result.maps.unsqueeze(1),
                                  F::InterpolateFuncOptions()
                                      .size(std::vector<int64_t>{height, width})
                                      .mode(torch::kBilinear)
                                      .align_corners(false));
  return {map[0][0], result.scores[0].item<double>()};
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
