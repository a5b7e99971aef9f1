#include "text/caption_step_model.h"

#include <torch/torch.h>

#include "core/runtime.h"
#include "vision/layers/affine.h"

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
  const auto memory = model.encode(images);
  // Steps over a few rows are matrix-vector products (in plain loops where CBLAS was found, else
  // tiny LibTorch operators), and a second thread costs more than it saves: a LibTorch greedy
  // step took 0.58 ms on one thread and 1.2 ms on two; OpenBLAS's sgemv gained about 20%.
  // The memory's keys and values, one product over every memory token, still use every thread.
  CaptionStepModel step_model(model.decoder(), memory, options.attention);
  const int64_t rows = images.size(0) * (options.method == "beam" ? options.beam_size : 1);
  ThreadCountScope threads(rows <= kMaxGemvRows ? 1 : at::get_num_threads());
  return decode(step_model, images.size(0), bos, eos, options);
}

}  // namespace vedkit
