#pragma once

#include <torch/nn/module.h>

#include <string>
#include <vector>

#include "core/config.h"
#include "vision/autoencoder/reconstruction_decoder.h"
#include "vision/encoders/encoder.h"
#include "vision/segmentation/segmentation_model.h"

namespace vedkit {

// How an autoencoder learns, from `model.mode` and its keys.
struct AutoencoderModeOptions {
  std::string mode = "plain";  // plain | denoising | variational | masked
  double noise_std = 0.1;      // denoising: Gaussian noise on the input, clean target
  double beta = 1.0;           // variational: weight of the KL term
  double mask_ratio = 0.75;    // masked: share of patches hidden from the encoder
  int64_t mask_patch = 16;     // masked: patch side in pixels (a ViT's own patch by default)
  // What the decoder learns to output: the image, or its detail (the image minus its Gaussian
  // blur of detail_sigma pixels). Detail leaves smooth backgrounds out of the target, so the
  // latent has to describe shapes and edges; it is signed, so it needs `decoder.output: none`.
  std::string target = "image";  // image | detail
  double detail_sigma = 3.0;
};

struct AutoencoderOutput {
  torch::Tensor reconstruction;  // [B, C, H, W], the input's size
  Latent latent;
};

// Encoder -> coarsest level -> latent -> reconstruction decoder. Images arrive in [0, 1] at
// any size: they are padded (edge values) to the encoder's size multiple and the output is
// cropped back. A vector latent fixes the size to input_size.
class AutoencoderModelImpl : public torch::nn::Module {
 public:
  AutoencoderModelImpl(Encoder encoder, ReconstructionDecoderOptions decoder_options,
                       const NormalizationOptions& normalization, AutoencoderModeOptions mode,
                       std::vector<int64_t> input_size);

  // hidden [B, 1, H, W], 1 where the pixel is masked (masked mode), or undefined.
  AutoencoderOutput forward(const torch::Tensor& images, const torch::Tensor& hidden = {});
  // The latent's mean for each image (what --encode writes).
  torch::Tensor encode(const torch::Tensor& images);
  // Decodes latents to images of size [height, width] (cropped from the padded output).
  torch::Tensor decode(const torch::Tensor& latent, int64_t height, int64_t width);

  // What a reconstruction is compared with: the images themselves, or their detail.
  torch::Tensor target(const torch::Tensor& images) const;
  // A reconstruction (or a target) as an image in [0, 1]: detail is drawn around mid-grey.
  torch::Tensor viewable(const torch::Tensor& output) const;

  void prepare_for_inference();
  // Int8 inference (vedkit-export --int8), after prepare_for_inference(): the encoder's graph
  // calibrated on images ([B, C, H, W] in [0, 1], sizes the model takes), then run in int8;
  // the decoder stays float32.
  std::vector<float> calibrate_int8(const std::vector<torch::Tensor>& images) const;
  void use_int8(std::vector<float> ranges) { encoder_->use_int8(std::move(ranges)); }
  std::string int8_layers() const {
    return "encoder " + encoder_->int8_layers() + "; decoder: float32";
  }

  const AutoencoderModeOptions& mode() const { return mode_; }
  const std::vector<int64_t>& input_size() const { return input_size_; }  // empty: any size
  int64_t in_channels() const { return encoder_->in_channels(); }
  const Encoder& encoder() const { return encoder_; }

 private:
  Latent encode_latent(const torch::Tensor& images, const torch::Tensor& hidden);
  // What the encoder sees of images: normalised, hidden pixels at the data mean, padded.
  torch::Tensor encoder_input(const torch::Tensor& images, const torch::Tensor& hidden) const;
  void check_size(const torch::Tensor& images) const;

  Encoder encoder_;
  ReconstructionDecoder decoder_{nullptr};
  torch::Tensor mean_, std_;
  AutoencoderModeOptions mode_;
  std::vector<int64_t> input_size_;
};
TORCH_MODULE(AutoencoderModel);

// Builds from `model.encoder`, `model.decoder` (type: reconstruction), `model.normalize`,
// `model.mode` (with noise_std, beta, mask_ratio, mask_patch), `model.target` (with
// detail_sigma) and `model.input_size`
// ([H, W]; required for a vector latent).
AutoencoderModel build_autoencoder_model(ConfigSection model_section);

// Rebuilds an autoencoder from a model file, ready for inference; another task's file is a
// ModelFileError.
AutoencoderModel load_autoencoder_model(const std::string& path);

// Reparameterised sample of a Gaussian latent (the mean when log_var is undefined).
torch::Tensor sample_latent(const Latent& latent);

}  // namespace vedkit
