#include "vision/autoencoder/autoencoder_model.h"

#include <torch/torch.h>

#include "core/error.h"
#include "core/model_file.h"
#include "vision/encoders/vit.h"
#include "vision/inference/int8_model_file.h"
#include "vision/layers/gaussian_blur.h"

namespace vedkit {
namespace {

int64_t round_up(int64_t value, int64_t multiple) { return (value + multiple - 1) / multiple * multiple; }

AutoencoderModeOptions read_mode_options(ConfigSection& model, const Encoder& encoder) {
  AutoencoderModeOptions mode;
  mode.mode = model.get_string("mode", mode.mode, {"plain", "denoising", "variational", "masked"});
  if (mode.mode == "denoising") mode.noise_std = model.get_real("noise_std", mode.noise_std, {0, 10});
  if (mode.mode == "variational") mode.beta = model.get_real("beta", mode.beta, {0, 1e6});
  if (mode.mode == "masked") {
    mode.mask_ratio = model.get_real("mask_ratio", mode.mask_ratio, {0.01, 0.99});
    if (const auto* vit = dynamic_cast<const ViTEncoderImpl*>(encoder.get())) {
      mode.mask_patch = vit->options().patch_size();
    }
    mode.mask_patch = model.get_int("mask_patch", mode.mask_patch, {1, 4096});
  }
  mode.target = model.get_string("target", mode.target, {"image", "detail"});
  if (mode.target == "detail") {
    mode.detail_sigma = model.get_real("detail_sigma", mode.detail_sigma, {0.3, 100.0});
  }
  return mode;
}

}  // namespace

AutoencoderModelImpl::AutoencoderModelImpl(Encoder encoder, ReconstructionDecoderOptions decoder_options,
                                           const NormalizationOptions& normalization,
                                           AutoencoderModeOptions mode, std::vector<int64_t> input_size)
    : encoder_(register_module("encoder", std::move(encoder))),
      mode_(std::move(mode)),
      input_size_(std::move(input_size)) {
  std::vector<int64_t> padded_size;
  for (const int64_t side : input_size_) padded_size.push_back(round_up(side, encoder_->size_multiple()));
  decoder_options.variational = mode_.mode == "variational";
  decoder_ = register_module("decoder", ReconstructionDecoder(encoder_->pyramid().back(), padded_size,
                                                              encoder_->in_channels(), decoder_options));
  const int64_t channels = static_cast<int64_t>(normalization.mean.size());
  mean_ = register_buffer("mean", torch::tensor(normalization.mean, torch::kFloat).reshape({1, channels, 1, 1}));
  std_ = register_buffer("std", torch::tensor(normalization.std, torch::kFloat).reshape({1, channels, 1, 1}));
}

void AutoencoderModelImpl::check_size(const torch::Tensor& images) const {
  if (images.dim() != 4 || images.size(1) != in_channels()) {
    throw Error("autoencoder: expected images [B, " + std::to_string(in_channels()) +
                ", H, W], got " + shape_text(images));
  }
  if (!input_size_.empty() && (images.size(2) != input_size_[0] || images.size(3) != input_size_[1])) {
    throw Error("autoencoder: this model (vector latent) takes " + std::to_string(input_size_[0]) +
                "x" + std::to_string(input_size_[1]) + " images, got " + std::to_string(images.size(2)) +
                "x" + std::to_string(images.size(3)));
  }
}

Latent AutoencoderModelImpl::encode_latent(const torch::Tensor& images, const torch::Tensor& hidden) {
  check_size(images);
  return decoder_->to_latent(encoder_->forward(encoder_input(images, hidden)).back());
}

torch::Tensor AutoencoderModelImpl::encoder_input(const torch::Tensor& images, const torch::Tensor& hidden) const {
  auto x = (images - mean_) / std_;
  if (hidden.defined()) x = x * (1 - hidden);  // hidden pixels become the data mean
  const int64_t multiple = encoder_->size_multiple();
  const int64_t pad_h = round_up(x.size(2), multiple) - x.size(2);
  const int64_t pad_w = round_up(x.size(3), multiple) - x.size(3);
  if (pad_h > 0 || pad_w > 0) {
    x = torch::nn::functional::pad(
        x, torch::nn::functional::PadFuncOptions({0, pad_w, 0, pad_h}).mode(torch::kReplicate));
  }
  return x;
}

std::vector<float> AutoencoderModelImpl::calibrate_int8(const std::vector<torch::Tensor>& images) const {
  std::vector<torch::Tensor> inputs;
  for (const auto& batch : images) {
    check_size(batch);
    inputs.push_back(encoder_input(batch.to(torch::kFloat), {}));
  }
  return encoder_->calibrate_int8(inputs);
}


AutoencoderOutput AutoencoderModelImpl::forward(const torch::Tensor& images, const torch::Tensor& hidden) {
  auto latent = encode_latent(images, hidden);
  const auto z = is_training() ? sample_latent(latent) : latent.mean;
  return {decode(z, images.size(2), images.size(3)), latent};
}

torch::Tensor AutoencoderModelImpl::encode(const torch::Tensor& images) {
  return encode_latent(images, {}).mean;
}

torch::Tensor AutoencoderModelImpl::decode(const torch::Tensor& latent, int64_t height, int64_t width) {
  const auto padded = decoder_->decode(latent);
  return padded.index({torch::indexing::Slice(), torch::indexing::Slice(),
                       torch::indexing::Slice(0, height), torch::indexing::Slice(0, width)});
}

torch::Tensor AutoencoderModelImpl::target(const torch::Tensor& images) const {
  if (mode_.target != "detail") return images;
  return images - gaussian_blur(images, mode_.detail_sigma, BlurBorder::replicate);
}

torch::Tensor AutoencoderModelImpl::viewable(const torch::Tensor& output) const {
  return mode_.target == "detail" ? (output + 0.5).clamp(0, 1) : output;
}

void AutoencoderModelImpl::prepare_for_inference() {
  eval();
  encoder_->fold_for_inference();
  decoder_->fold_for_inference();
}

torch::Tensor sample_latent(const Latent& latent) {
  if (!latent.log_var.defined()) return latent.mean;
  return latent.mean + torch::randn_like(latent.mean) * torch::exp(0.5 * latent.log_var);
}

AutoencoderModel build_autoencoder_model(ConfigSection model_section) {
  Encoder encoder = build_encoder(model_section.section("encoder"));
  auto mode = read_mode_options(model_section, encoder);
  auto decoder_section = model_section.section("decoder");
  decoder_section.get_string("type", "reconstruction", {"reconstruction"});
  const auto decoder_options = read_reconstruction_decoder_options(decoder_section, encoder->pyramid().back());
  if (mode.target == "detail" && decoder_options.output != "none") {
    decoder_section.fail("output", "expected none: the detail target (model.target: detail) is signed, "
                                   "which a " + decoder_options.output + " output cannot reach");
  }
  std::vector<int64_t> input_size;
  if (decoder_options.latent == "vector" || model_section.has("input_size")) {
    input_size = model_section.get_ints("input_size", std::nullopt, {1, 16384});
    if (input_size.size() != 2) model_section.fail("input_size", "expected [height, width]");
  }
  const auto normalization =
      read_normalization_options(model_section.section("normalize"), encoder->in_channels());
  return AutoencoderModel(std::move(encoder), decoder_options, normalization, mode, input_size);
}

AutoencoderModel load_autoencoder_model(const std::string& path) {
  const auto file = ModelFile::open(path);
  const auto task = file.task();
  if (task != "autoencoder") {
    throw ModelFileError(path + ": a " + (task.empty() ? "non-vedkit" : task) + " model, not an autoencoder");
  }
  auto config = file.model_config();
  auto model = build_autoencoder_model(config.section("model"));
  file.load_weights(*model);
  model->prepare_for_inference();
  use_int8_of(file, *model);
  return model;
}

}  // namespace vedkit
