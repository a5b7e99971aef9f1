#include "text/caption_step_model.h"

#include <torch/torch.h>

namespace vedkit {

CaptionStepModel::CaptionStepModel(CaptionDecoder decoder, const torch::Tensor& memory,
                                   bool keep_attention)
    : decoder_(std::move(decoder)), keep_attention_(keep_attention) {
  cache_ = decoder_->start(memory);
}

torch::Tensor CaptionStepModel::next_log_probs(const torch::Tensor& last_tokens) {
  const auto device = cache_.layers.front().memory_keys.device();
  const auto logits =
      decoder_->step(last_tokens.to(device), cache_, keep_attention_ ? &attention_ : nullptr);
  return torch::log_softmax(logits.to(torch::kFloat), -1);
}

void CaptionStepModel::reorder(const torch::Tensor& index) { cache_.reorder(index); }

std::vector<Hypothesis> caption_images(CaptionModelImpl& model, const torch::Tensor& images,
                                       int64_t bos, int64_t eos, const DecodingOptions& options) {
  torch::InferenceMode inference;
  CaptionStepModel step_model(model.decoder(), model.encode(images), options.attention);
  return decode(step_model, images.size(0), bos, eos, options);
}

}  // namespace vedkit
