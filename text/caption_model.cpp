#include "text/caption_model.h"

#include <torch/torch.h>

#include <cmath>

#include "core/error.h"
#include "vision/layers/affine.h"

namespace vedkit {

torch::Tensor sincos_position_embedding(int64_t h, int64_t w, int64_t width) {
  if (width % 4 != 0) {
    throw Error("sine-cosine position embedding: width " + std::to_string(width) +
                " is not a multiple of 4");
  }
  const int64_t quarter = width / 4;
  const auto omega =
      torch::pow(10000.0, -torch::arange(quarter, torch::kDouble) / quarter);  // [W/4]
  const auto encode = [&](int64_t size) {
    const auto angles = torch::arange(size, torch::kDouble).unsqueeze(1) * omega;  // [size, W/4]
    return torch::cat({angles.sin(), angles.cos()}, 1);                            // -> [size, W/2]
  };
  const auto rows = encode(h).unsqueeze(1).expand({h, w, width / 2});
  const auto columns = encode(w).unsqueeze(0).expand({h, w, width / 2});
  return torch::cat({rows, columns}, 2).reshape({h * w, width}).to(torch::kFloat);
}

CaptionModelImpl::CaptionModelImpl(Encoder encoder, const CaptionDecoderOptions& decoder_options,
                                   const NormalizationOptions& normalization)
    : encoder_(register_module("encoder", std::move(encoder))) {
  const int64_t width = decoder_options.width();
  memory_proj_ =
      register_module("memory_proj", torch::nn::Linear(encoder_->token_channels(), width));
  memory_norm_ =
      register_module("memory_norm", torch::nn::LayerNorm(torch::nn::LayerNormOptions({width})));
  decoder_ = register_module("decoder", CaptionDecoder(decoder_options));
  const int64_t channels = static_cast<int64_t>(normalization.mean.size());
  mean_ = register_buffer(
      "mean", torch::tensor(normalization.mean, torch::kFloat).reshape({1, channels, 1, 1}));
  std_ = register_buffer(
      "std", torch::tensor(normalization.std, torch::kFloat).reshape({1, channels, 1, 1}));
}

std::array<int64_t, 2> token_grid(int64_t height, int64_t width, int64_t count,
                                  int64_t size_multiple) {
  // The tokens are a row-major grid at some stride s: N = (H/s) * (W/s), so s^2 = H*W/N.
  const auto stride = static_cast<int64_t>(
      std::lround(std::sqrt(static_cast<double>(height * width) / static_cast<double>(count))));
  if (stride < 1 || height % stride != 0 || width % stride != 0 ||
      (height / stride) * (width / stride) != count) {
    throw Error("caption model: images of " + std::to_string(height) + "x" + std::to_string(width) +
                " give " + std::to_string(count) +
                " encoder tokens, not a whole grid; use sizes that are multiples of " +
                std::to_string(size_multiple));
  }
  return {height / stride, width / stride};
}

std::vector<float> CaptionModelImpl::calibrate_int8(
    const std::vector<torch::Tensor>& images) const {
  std::vector<torch::Tensor> inputs;
  for (const auto& batch : images) inputs.push_back((batch.to(torch::kFloat) - mean_) / std_);
  return encoder_->calibrate_int8(inputs);
}

torch::Tensor CaptionModelImpl::encode(const torch::Tensor& images) {
  const int64_t height = images.size(2), width = images.size(3);
  const auto tokens = encoder_->tokens((images.to(mean_.scalar_type()) - mean_) / std_);
  const auto grid = token_grid(height, width, tokens.size(1), size_multiple());
  const auto positions = sincos_position_embedding(grid[0], grid[1], decoder_->options().width());
  // [B, N, C] -> [B, N, width], + [N, width]
  auto memory = memory_norm_(affine(tokens, memory_proj_->weight, memory_proj_->bias));
  return memory + positions.to(memory.options());
}

torch::Tensor CaptionModelImpl::forward(const torch::Tensor& images, const torch::Tensor& tokens) {
  return decoder_->forward(tokens, encode(images));  // -> [B, T, vocab]
}

void CaptionModelImpl::prepare_for_inference() {
  eval();
  encoder_->fold_for_inference();
}

CaptionModel build_caption_model(ConfigSection model_section, int64_t vocab_size) {
  Encoder encoder = build_encoder(model_section.section("encoder"));
  auto decoder_section = model_section.section("decoder");
  const auto decoder_options = read_caption_decoder_options(decoder_section, vocab_size);
  if (decoder_options.width() % 4 != 0) {
    decoder_section.fail("width", "expected a multiple of 4 (the 2D position embedding)");
  }
  const auto normalization =
      read_normalization_options(model_section.section("normalize"), encoder->in_channels());
  return CaptionModel(std::move(encoder), decoder_options, normalization);
}

}  // namespace vedkit
