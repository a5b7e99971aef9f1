#pragma once

#include <torch/arg.h>
#include <torch/nn/module.h>
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/dropout.h>
#include <torch/nn/modules/embedding.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/modules/normalization.h>
#include <torch/nn/pimpl.h>

#include <cstdint>
#include <vector>

#include "core/config.h"
#include "vision/layers/attention.h"

namespace vedkit {

struct CaptionDecoderOptions {
  explicit CaptionDecoderOptions(int64_t vocab_size) : vocab_size_(vocab_size) {}

  TORCH_ARG(int64_t, vocab_size);
  TORCH_ARG(int64_t, width) = 256;
  TORCH_ARG(int64_t, layers) = 4;
  TORCH_ARG(int64_t, heads) = 4;
  TORCH_ARG(int64_t, ffn_width) = 1024;
  TORCH_ARG(double, dropout) = 0.1;
  // Positions the decoder can see, <bos> included.
  TORCH_ARG(int64_t, max_length) = 32;
  // The output projection reuses the token embedding's weights.
  TORCH_ARG(bool, tie_embeddings) = true;
};

// Reads `type` (transformer), width, layers, heads (a divisor of width), ffn_width, dropout,
// max_length and tie_embeddings; a bad value is a ConfigError at its key.
CaptionDecoderOptions read_caption_decoder_options(ConfigSection decoder, int64_t vocab_size);

// One layer's keys and values for incremental decoding.
struct DecoderLayerCache {
  torch::Tensor self_keys, self_values;      // [B, H, max_length, Dh], first `length` filled
  torch::Tensor memory_keys, memory_values;  // [B, H, N, Dh], computed once from the memory
};

// What CaptionDecoder::step needs from earlier steps. Rows are batch entries (images, or
// beams of images); reorder and expand move every layer's rows together.
struct DecoderCache {
  std::vector<DecoderLayerCache> layers;
  int64_t length = 0;  // positions decoded so far
  // Which of the memories start() was given each row attends to. A reorder that only moves
  // rows among those sharing a memory (an image's beams) leaves the memory keys and values be.
  std::vector<int64_t> memory_rows;

  int64_t batch_size() const;
  void reorder(const torch::Tensor& index);  // keeps rows index [B'] (int64), in that order
  void expand(int64_t n);                    // [B] -> [B*n], each row repeated n times in place
};

// torch.nn.TransformerDecoderLayer(norm_first=True, activation="gelu", batch_first=True), with
// its parameter names: norm1, self_attn, norm2, multihead_attn, norm3, linear1, linear2.
class CaptionDecoderLayerImpl : public torch::nn::Module {
 public:
  explicit CaptionDecoderLayerImpl(const CaptionDecoderOptions& options);

  // x [B, T, D] at positions `position`.. -> [B, T, D]. Without self keys in the cache (the
  // teacher-forced pass) x attends to itself under mask; with them, its keys and values are
  // written at `position` and x attends to every position so far. cross_weights, when given,
  // receives the cross-attention weights [B, H, T, N].
  torch::Tensor forward(const torch::Tensor& x, DecoderLayerCache& cache, int64_t position,
                        const torch::Tensor& mask, torch::Tensor* cross_weights = nullptr);

  MultiHeadAttention& cross_attention() { return multihead_attn_; }

  // One position of every row in plain loops (decoder_step_loops.cpp): x [rows, D] in place;
  // writes the rows' keys and values at `position`. scratch is reused between calls.
  void step_rows(float* x, int64_t rows, DecoderLayerCache& cache, int64_t position,
                 std::vector<float>& scratch);

 private:
  torch::nn::LayerNorm norm1_{nullptr}, norm2_{nullptr}, norm3_{nullptr};
  MultiHeadAttention self_attn_{nullptr}, multihead_attn_{nullptr};
  torch::nn::Linear linear1_{nullptr}, linear2_{nullptr};
  torch::nn::Dropout dropout_{nullptr};
};
TORCH_MODULE(CaptionDecoderLayer);

// A pre-norm Transformer decoder over an encoder's memory: token and learned position
// embeddings, `layers` CaptionDecoderLayers, a final LayerNorm (`norm`) and the output
// projection (`head`, or the token embedding when tied).
class CaptionDecoderImpl : public torch::nn::Module {
 public:
  explicit CaptionDecoderImpl(const CaptionDecoderOptions& options);

  // Teacher forcing: tokens [B, T] (int64, <bos> first), memory [B, N, width] -> logits
  // [B, T, vocab]; position t sees tokens 0..t only.
  torch::Tensor forward(const torch::Tensor& tokens, const torch::Tensor& memory);

  // Incremental decoding: start computes the memory's keys and values once; each step feeds
  // the last token of every row [B] and returns the next position's logits [B, vocab].
  // cross_attention, when given, receives the last layer's cross-attention weights averaged
  // over heads [B, N]. A step past max_length throws vedkit::Error.
  DecoderCache start(const torch::Tensor& memory);
  torch::Tensor step(const torch::Tensor& last_tokens, DecoderCache& cache,
                     torch::Tensor* cross_attention = nullptr);

  const CaptionDecoderOptions& options() const { return options_; }

 private:
  DecoderCache memory_cache(const torch::Tensor& memory);
  void check_room(const DecoderCache& cache, int64_t positions) const;  // within max_length
  // A step for a few float32 rows on the CPU without gradients runs in plain loops
  // (decoder_step_loops.cpp, built where CMake finds CBLAS); the same logits as run().
  bool steps_in_loops(const DecoderCache& cache, int64_t rows) const;
  torch::Tensor step_in_loops(const torch::Tensor& last_tokens, DecoderCache& cache);
  // tokens [B, T] at positions cache.length.. -> logits [B, T, vocab].
  torch::Tensor run(const torch::Tensor& tokens, DecoderCache& cache, const torch::Tensor& mask,
                    torch::Tensor* cross_weights);

  CaptionDecoderOptions options_;
  torch::nn::Embedding token_embedding_{nullptr};
  torch::Tensor position_embedding_;  // [max_length, width]
  std::vector<CaptionDecoderLayer> layers_;
  torch::nn::LayerNorm norm_{nullptr};
  torch::nn::Linear head_{nullptr};  // null when tied
  torch::nn::Dropout dropout_{nullptr};
};
TORCH_MODULE(CaptionDecoder);

}  // namespace vedkit
