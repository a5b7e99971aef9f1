#pragma once

#include <torch/types.h>

#include <cstdint>
#include <vector>

#include "text/caption_decoder.h"
#include "text/caption_model.h"
#include "text/decoding.h"

namespace vedkit {

// A CaptionDecoder and its key/value cache over one batch of memories, as decoding sees it.
class CaptionStepModel : public StepModel {
 public:
  // memory [B, N, width] from CaptionModel::encode. keep_attention: last_attention() gives the
  // last layer's cross-attention averaged over heads.
  CaptionStepModel(CaptionDecoder decoder, const torch::Tensor& memory,
                   bool keep_attention = false);

  torch::Tensor next_log_probs(const torch::Tensor& last_tokens) override;  // [B] -> [B, V]
  void reorder(const torch::Tensor& index) override;
  torch::Tensor last_attention() const override { return attention_; }

 private:
  CaptionDecoder decoder_;
  DecoderCache cache_;
  bool keep_attention_;
  torch::Tensor attention_;
};

// Captions images [B, C, H, W] in [0, 1] under InferenceMode: one Hypothesis per image, its
// attention [tokens, N] over the encoder's grid when options.attention is set.
std::vector<Hypothesis> caption_images(CaptionModelImpl& model, const torch::Tensor& images,
                                       int64_t bos, int64_t eos, const DecodingOptions& options);

}  // namespace vedkit
