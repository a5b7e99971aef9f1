#include "vision/segmentation/predict.h"

#include <torch/nn/functional/padding.h>
#include <torch/nn/functional/upsampling.h>

#include <cmath>
#include <stdexcept>

#include "vision/segmentation/class_argmax.h"

namespace vedkit {
namespace {

namespace F = torch::nn::functional;

at::Tensor padded_logits(SegmentationModelImpl& model, const at::Tensor& images) {
  const int64_t multiple = model.size_multiple();
  const int64_t height = images.size(2), width = images.size(3);
  const int64_t pad_h = (multiple - height % multiple) % multiple;
  const int64_t pad_w = (multiple - width % multiple) % multiple;
  if (pad_h == 0 && pad_w == 0) return model.forward(images);
  const auto padded = F::pad(images, F::PadFuncOptions({0, pad_w, 0, pad_h}));
  return model.forward(padded).slice(2, 0, height).slice(3, 0, width);
}

// Window starts along one side so that windows of `size` every `stride` cover [0, length).
std::vector<int64_t> window_starts(int64_t length, int64_t size, int64_t stride) {
  std::vector<int64_t> starts;
  for (int64_t start = 0;; start += stride) {
    if (start + size >= length) {
      starts.push_back(std::max<int64_t>(0, length - size));
      break;
    }
    starts.push_back(start);
  }
  return starts;
}

at::Tensor tiled_logits(SegmentationModelImpl& model, const at::Tensor& images,
                        const PredictOptions& options) {
  const int64_t height = images.size(2), width = images.size(3);
  const int64_t size = options.tile_size < 0 ? model.default_tile_size() : options.tile_size;
  if (size <= 0 || (height <= size && width <= size)) return padded_logits(model, images);
  const int64_t stride = options.tile_stride > 0 ? options.tile_stride : size * 2 / 3;
  auto sum = torch::zeros({images.size(0), model.num_classes(), height, width}, images.options());
  auto count = torch::zeros({1, 1, height, width}, images.options());
  for (int64_t top : window_starts(height, size, stride)) {
    for (int64_t left : window_starts(width, size, stride)) {
      const int64_t bottom = std::min(top + size, height), right = std::min(left + size, width);
      const auto crop = images.slice(2, top, bottom).slice(3, left, right);
      sum.slice(2, top, bottom).slice(3, left, right) += padded_logits(model, crop);
      count.slice(2, top, bottom).slice(3, left, right) += 1;
    }
  }
  return sum / count;
}

at::Tensor resized(const at::Tensor& images, int64_t height, int64_t width) {
  return F::interpolate(images, F::InterpolateFuncOptions()
                                    .size(std::vector<int64_t>{height, width})
                                    .mode(torch::kBilinear)
                                    .align_corners(false));
}

at::Tensor probabilities_at_this_size(SegmentationModelImpl& model, const at::Tensor& images,
                                      const PredictOptions& options) {
  auto probabilities = tiled_logits(model, images, options).softmax(1);
  if (options.flip) {
    const auto flipped = tiled_logits(model, images.flip({3}), options).softmax(1).flip({3});
    probabilities = (probabilities + flipped) / 2;
  }
  return probabilities;
}

}  // namespace

at::Tensor predict_probabilities(SegmentationModelImpl& model, const at::Tensor& images,
                                 const PredictOptions& options) {
  if (options.scales.empty()) throw std::invalid_argument("PredictOptions::scales is empty");
  const int64_t height = images.size(2), width = images.size(3);
  at::Tensor sum;
  for (const double scale : options.scales) {
    const int64_t scaled_height = std::max<int64_t>(1, std::llround(height * scale));
    const int64_t scaled_width = std::max<int64_t>(1, std::llround(width * scale));
    const bool same_size = scaled_height == height && scaled_width == width;
    const auto scaled = same_size ? images : resized(images, scaled_height, scaled_width);
    auto probabilities = probabilities_at_this_size(model, scaled, options);
    if (!same_size) probabilities = resized(probabilities, height, width);
    sum = sum.defined() ? sum.add_(probabilities) : probabilities;
  }
  return options.scales.size() == 1 ? sum : sum.div_(static_cast<double>(options.scales.size()));
}

at::Tensor predict_classes(SegmentationModelImpl& model, const at::Tensor& images,
                           const PredictOptions& options) {
  const bool as_is = !options.flip && options.scales == std::vector<double>{1.0};
  const auto scores =
      as_is ? tiled_logits(model, images, options) : predict_probabilities(model, images, options);
  if (scores.scalar_type() != torch::kFloat || !scores.device().is_cpu() ||
      !scores.is_contiguous(torch::MemoryFormat::ChannelsLast)) {
    return scores.argmax(1);
  }
  auto classes = torch::empty({scores.size(0), scores.size(2), scores.size(3)},
                              scores.options().dtype(torch::kLong));
  argmax_over_classes(scores.data_ptr<float>(), classes.numel(), scores.size(1),
                      classes.data_ptr<int64_t>());
  return classes;
}

}  // namespace vedkit
