#include "text/caption_decoder.h"

#include <torch/torch.h>

#include <limits>
#include <numeric>

#include "core/error.h"
#include "vision/layers/affine.h"

namespace vedkit {

namespace {

// [T, T] additive mask: 0 on and below the diagonal, -inf above (position t sees 0..t).
torch::Tensor causal_mask(int64_t length, const torch::TensorOptions& options) {
  return torch::full({length, length}, -std::numeric_limits<float>::infinity(), options).triu(1);
}

}  // namespace

CaptionDecoderOptions read_caption_decoder_options(ConfigSection decoder, int64_t vocab_size) {
  decoder.get_string("type", "transformer", {"transformer"});
  CaptionDecoderOptions options(vocab_size);
  options.width(decoder.get_int("width", options.width(), {8, 8192}));
  options.layers(decoder.get_int("layers", options.layers(), {1, 64}));
  options.heads(decoder.get_int("heads", options.heads(), {1, options.width()}));
  if (options.width() % options.heads() != 0) {
    decoder.fail("heads", "expected a divisor of width " + std::to_string(options.width()));
  }
  options.ffn_width(decoder.get_int("ffn_width", options.ffn_width(), {1, 65536}));
  options.dropout(decoder.get_real("dropout", options.dropout(), {0.0, 0.9}));
  options.max_length(decoder.get_int("max_length", options.max_length(), {2, 4096}));
  options.tie_embeddings(decoder.get_bool("tie_embeddings", options.tie_embeddings()));
  return options;
}

int64_t DecoderCache::batch_size() const {
  return layers.empty() ? 0 : layers.front().memory_keys.size(0);
}

void DecoderCache::reorder(const torch::Tensor& index) {
  const auto rows = index.to(torch::kCPU, torch::kLong).contiguous();
  std::vector<int64_t> next_memory_rows;
  for (const int64_t row : c10::IntArrayRef(rows.data_ptr<int64_t>(), rows.numel())) {
    next_memory_rows.push_back(memory_rows.at(row));
  }
  const bool memory_moves = next_memory_rows != memory_rows;
  memory_rows = std::move(next_memory_rows);
  if (layers.empty()) return;
  const auto on_device = index.to(layers.front().memory_keys.device(), torch::kLong);
  for (auto& layer : layers) {
    std::vector<torch::Tensor*> moving{&layer.self_keys, &layer.self_values};
    if (memory_moves) moving.insert(moving.end(), {&layer.memory_keys, &layer.memory_values});
    for (auto* tensor : moving) {
      if (tensor->defined()) *tensor = tensor->index_select(0, on_device);
    }
  }
}

void DecoderCache::expand(int64_t n) { reorder(torch::arange(batch_size()).repeat_interleave(n)); }

CaptionDecoderLayerImpl::CaptionDecoderLayerImpl(const CaptionDecoderOptions& o) {
  const auto norm = [&] { return torch::nn::LayerNorm(torch::nn::LayerNormOptions({o.width()})); };
  norm1_ = register_module("norm1", norm());
  self_attn_ = register_module("self_attn", MultiHeadAttention(o.width(), o.heads()));
  norm2_ = register_module("norm2", norm());
  multihead_attn_ = register_module("multihead_attn", MultiHeadAttention(o.width(), o.heads()));
  norm3_ = register_module("norm3", norm());
  linear1_ = register_module("linear1", torch::nn::Linear(o.width(), o.ffn_width()));
  linear2_ = register_module("linear2", torch::nn::Linear(o.ffn_width(), o.width()));
  dropout_ = register_module("dropout", torch::nn::Dropout(o.dropout()));
}

torch::Tensor CaptionDecoderLayerImpl::forward(const torch::Tensor& input, DecoderLayerCache& cache,
                                               int64_t position, const torch::Tensor& mask,
                                               torch::Tensor* cross_weights) {
  auto [q, k, v] = self_attn_->queries_keys_values(norm1_(input));  // 3 x [B, H, T, Dh]
  if (cache.self_keys.defined()) {
    const int64_t end = position + input.size(1);
    cache.self_keys.narrow(2, position, input.size(1)).copy_(k);
    cache.self_values.narrow(2, position, input.size(1)).copy_(v);
    k = cache.self_keys.narrow(2, 0, end);  // [B, H, end, Dh]
    v = cache.self_values.narrow(2, 0, end);
  }
  auto x = input + dropout_(self_attn_->attend(q, k, v, mask));
  const auto cross_q = multihead_attn_->query(norm2_(x));
  x = x + dropout_(multihead_attn_->attend(cross_q, cache.memory_keys, cache.memory_values, {},
                                           cross_weights));
  // [B, T, D] -> [B, T, F] -> [B, T, D]
  const auto hidden =
      dropout_(torch::gelu(vedkit::affine(norm3_(x), linear1_->weight, linear1_->bias)));
  return x + dropout_(vedkit::affine(hidden, linear2_->weight, linear2_->bias));
}

CaptionDecoderImpl::CaptionDecoderImpl(const CaptionDecoderOptions& options) : options_(options) {
  const int64_t width = options.width();
  if (options.layers() < 1 || options.heads() < 1 || width % options.heads() != 0) {
    throw Error("caption decoder: expected at least one layer and heads dividing width, got " +
                std::to_string(options.layers()) + " layers, " + std::to_string(options.heads()) +
                " heads, width " + std::to_string(width));
  }
  token_embedding_ =
      register_module("token_embedding", torch::nn::Embedding(options.vocab_size(), width));
  position_embedding_ =
      register_parameter("position_embedding", torch::zeros({options.max_length(), width}));
  auto layers = register_module("layers", torch::nn::ModuleList());
  for (int64_t i = 0; i < options.layers(); ++i) {
    layers_.push_back(CaptionDecoderLayer(options));
    layers->push_back(layers_.back());
  }
  norm_ = register_module("norm", torch::nn::LayerNorm(torch::nn::LayerNormOptions({width})));
  if (!options.tie_embeddings()) {
    head_ = register_module(
        "head",
        torch::nn::Linear(torch::nn::LinearOptions(width, options.vocab_size()).bias(false)));
  }
  dropout_ = register_module("dropout", torch::nn::Dropout(options.dropout()));
  // GPT-2's embedding initialisation; with the tied projection it starts the logits near 0.
  torch::NoGradGuard no_grad;
  token_embedding_->weight.normal_(0.0, 0.02);
  position_embedding_.normal_(0.0, 0.02);
}

DecoderCache CaptionDecoderImpl::memory_cache(const torch::Tensor& memory) {
  DecoderCache cache;
  for (auto& layer : layers_) {
    const auto [keys, values] =
        layer->cross_attention()->keys_values(memory);  // [B, N, D] -> 2 x [B, H, N, Dh]
    cache.layers.push_back({{}, {}, keys.contiguous(), values.contiguous()});
  }
  cache.memory_rows.resize(memory.size(0));
  std::iota(cache.memory_rows.begin(), cache.memory_rows.end(), 0);
  return cache;
}

void CaptionDecoderImpl::check_room(const DecoderCache& cache, int64_t positions) const {
  if (cache.length + positions > options_.max_length()) {
    throw Error("caption decoder: " + std::to_string(cache.length + positions) +
                " positions, more than its max_length " + std::to_string(options_.max_length()));
  }
}

torch::Tensor CaptionDecoderImpl::run(const torch::Tensor& tokens, DecoderCache& cache,
                                      const torch::Tensor& mask, torch::Tensor* cross_weights) {
  const int64_t length = tokens.size(1);
  check_room(cache, length);
  auto x = token_embedding_(tokens) +
           position_embedding_.narrow(0, cache.length, length);  // [B, T] -> [B, T, D]
  x = dropout_(x);
  for (size_t i = 0; i < layers_.size(); ++i) {
    const bool last = i + 1 == layers_.size();
    x = layers_[i]->forward(x, cache.layers[i], cache.length, mask, last ? cross_weights : nullptr);
  }
  x = norm_(x);
  if (cache.layers.front().self_keys.defined()) cache.length += length;
  return vedkit::affine(x, head_ ? head_->weight : token_embedding_->weight);
}

torch::Tensor CaptionDecoderImpl::forward(const torch::Tensor& tokens,
                                          const torch::Tensor& memory) {
  auto cache = memory_cache(memory);
  return run(tokens, cache, causal_mask(tokens.size(1), memory.options()), nullptr);
}

DecoderCache CaptionDecoderImpl::start(const torch::Tensor& memory) {
  auto cache = memory_cache(memory);
  const int64_t head_dim = options_.width() / options_.heads();
  for (auto& layer : cache.layers) {
    const std::vector<int64_t> shape{memory.size(0), options_.heads(), options_.max_length(),
                                     head_dim};
    layer.self_keys = torch::zeros(shape, memory.options());
    layer.self_values = torch::zeros(shape, memory.options());
  }
  return cache;
}

torch::Tensor CaptionDecoderImpl::step(const torch::Tensor& last_tokens, DecoderCache& cache,
                                       torch::Tensor* cross_attention) {
#ifdef VEDKIT_WITH_CBLAS
  if (cross_attention == nullptr && steps_in_loops(cache, last_tokens.size(0))) {
    check_room(cache, 1);
    return step_in_loops(last_tokens, cache);
  }
#endif
  torch::Tensor weights;
  const auto logits = run(last_tokens.unsqueeze(1), cache, {},  // [B] -> [B, 1]
                          cross_attention != nullptr ? &weights : nullptr);
  if (cross_attention != nullptr) *cross_attention = weights.mean(1).squeeze(1);  // -> [B, N]
  return logits.squeeze(1);  // [B, 1, V] -> [B, V]
}

}  // namespace vedkit
