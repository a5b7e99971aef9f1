#pragma once

#include <torch/nn/module.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/modules/normalization.h>
#include <torch/nn/pimpl.h>

#include <array>
#include <cstdint>

#include "core/config.h"
#include "text/caption_decoder.h"
#include "vision/encoders/encoder.h"
#include "vision/segmentation/segmentation_model.h"

namespace vedkit {

// Fixed 2D sine-cosine position embedding (MAE's) of an h x w grid, row-major: [h*w, width].
// The first half of the channels encodes the row, the second the column, each as
// sin(p * w_i) then cos(p * w_i) with w_i = 10000^(-i / (width/4)). width must be a multiple of 4.
torch::Tensor sincos_position_embedding(int64_t h, int64_t w, int64_t width);

// The token grid [rows, columns] that images of height x width give when an encoder returns
// count tokens, row-major at one stride. Not a whole grid is an Error that suggests sizes
// that are multiples of the encoder's size_multiple.
std::array<int64_t, 2> token_grid(int64_t height, int64_t width, int64_t count,
                                  int64_t size_multiple);

// Encoder -> memory (projected to the decoder's width, LayerNorm, plus the grid's 2D position
// embedding) -> CaptionDecoder. Images arrive in [0, 1] and are normalised by the model.
class CaptionModelImpl : public torch::nn::Module {
 public:
  CaptionModelImpl(Encoder encoder, const CaptionDecoderOptions& decoder_options,
                   const NormalizationOptions& normalization);

  // [B, C, H, W] -> memory [B, N, width], N the encoder's token grid (H/s) * (W/s).
  torch::Tensor encode(const torch::Tensor& images);
  // Teacher forcing: images [B, C, H, W], tokens [B, T] (<bos> first) -> logits [B, T, vocab].
  torch::Tensor forward(const torch::Tensor& images, const torch::Tensor& tokens);

  // eval(), batch-norm folded into the encoder's convolutions.
  void prepare_for_inference();
  // Int8 inference (vedkit-export --int8), after prepare_for_inference(): the encoder's graph
  // calibrated on images ([B, C, H, W] in [0, 1], sizes it takes), then run in int8; the
  // caption decoder stays float32.
  std::vector<float> calibrate_int8(const std::vector<torch::Tensor>& images) const;
  void use_int8(std::vector<float> ranges) { encoder_->use_int8(std::move(ranges)); }
  std::string int8_layers() const {
    return "encoder " + encoder_->int8_layers() + "; decoder: float32";
  }

  int64_t in_channels() const { return encoder_->in_channels(); }
  int64_t size_multiple() const { return encoder_->size_multiple(); }
  const Encoder& encoder() const { return encoder_; }
  CaptionDecoder& decoder() { return decoder_; }

 private:
  Encoder encoder_;
  torch::nn::Linear memory_proj_{nullptr};
  torch::nn::LayerNorm memory_norm_{nullptr};
  CaptionDecoder decoder_{nullptr};
  torch::Tensor mean_, std_;
};
TORCH_MODULE(CaptionModel);

// Builds from `model.encoder`, `model.decoder` (read_caption_decoder_options; width a
// multiple of 4 for the position embedding) and `model.normalize`.
CaptionModel build_caption_model(ConfigSection model_section, int64_t vocab_size);

}  // namespace vedkit
