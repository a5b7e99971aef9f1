// CaptionDecoder::step for a few float32 rows on the CPU, in plain loops and CBLAS
// matrix-vector products. The same step in LibTorch operators dispatches about 300 of them, and
// their overhead cost more than the arithmetic: at width 256, 4 layers, 32 tokens, one thread,
// a greedy step took 1.46 ms that way and 0.6 ms here (bench-caption). Built only where CMake
// found a CBLAS (VEDKIT_WITH_CBLAS).
#include <cblas.h>
#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "core/error.h"
#include "text/caption_decoder.h"
#include "vision/layers/affine.h"

namespace vedkit {
namespace {

const float* floats(const torch::Tensor& tensor) { return tensor.data_ptr<float>(); }

// y [rows] = W x + b; W [rows, cols] row-major, b may be null.
void affine_row(const float* weight, const float* bias, int64_t rows, int64_t cols, const float* x,
                float* y) {
  if (bias != nullptr) std::copy_n(bias, rows, y);
  cblas_sgemv(CblasRowMajor, CblasNoTrans, static_cast<int>(rows), static_cast<int>(cols), 1.0F,
              weight, static_cast<int>(cols), x, 1, bias != nullptr ? 1.0F : 0.0F, y, 1);
}

void affine_row(const torch::Tensor& weight, const torch::Tensor& bias, const float* x, float* y) {
  affine_row(floats(weight), bias.defined() ? floats(bias) : nullptr, weight.size(0),
             weight.size(1), x, y);
}

void layer_norm(const torch::nn::LayerNormImpl& norm, const float* x, int64_t width, float* y) {
  double mean = 0;
  for (int64_t i = 0; i < width; ++i) mean += x[i];
  mean /= static_cast<double>(width);
  double variance = 0;
  for (int64_t i = 0; i < width; ++i) variance += (x[i] - mean) * (x[i] - mean);
  variance /= static_cast<double>(width);
  const double scale = 1.0 / std::sqrt(variance + norm.options.eps());
  const float* gain = floats(norm.weight);
  const float* shift = floats(norm.bias);
  for (int64_t i = 0; i < width; ++i) {
    y[i] = static_cast<float>((x[i] - mean) * scale) * gain[i] + shift[i];
  }
}

// out [Dh] = softmax(scale * keys q) values, for one head: keys and values [n, Dh] row-major.
void attend_row(const float* q, const float* keys, const float* values, int64_t n, int64_t dh,
                float scale, float* scores, float* out) {
  const int rows = static_cast<int>(n), cols = static_cast<int>(dh);
  cblas_sgemv(CblasRowMajor, CblasNoTrans, rows, cols, scale, keys, cols, q, 1, 0.0F, scores, 1);
  const float top = *std::max_element(scores, scores + n);
  double total = 0;
  for (int64_t i = 0; i < n; ++i) {
    scores[i] = std::exp(scores[i] - top);
    total += scores[i];
  }
  cblas_sgemv(CblasRowMajor, CblasTrans, rows, cols, static_cast<float>(1.0 / total), values, cols,
              scores, 1, 0.0F, out, 1);
}

// x += W y + b, through `scratch`.
void add_affine_row(const torch::Tensor& weight, const torch::Tensor& bias, const float* y,
                    float* scratch, float* x) {
  affine_row(weight, bias, y, scratch);
  for (int64_t i = 0; i < weight.size(0); ++i) x[i] += scratch[i];
}

}  // namespace

bool CaptionDecoderImpl::steps_in_loops(const DecoderCache& cache, int64_t rows) const {
  if (is_training() || torch::GradMode::is_enabled() || rows > kMaxGemvRows) return false;
  for (const auto& parameter : parameters()) {
    if (!parameter.device().is_cpu() || parameter.scalar_type() != torch::kFloat ||
        !parameter.is_contiguous()) {
      return false;
    }
  }
  for (const auto& layer : cache.layers) {
    for (const auto* tensor :
         {&layer.self_keys, &layer.self_values, &layer.memory_keys, &layer.memory_values}) {
      if (!tensor->defined() || !tensor->device().is_cpu() ||
          tensor->scalar_type() != torch::kFloat || !tensor->is_contiguous()) {
        return false;
      }
    }
  }
  return true;
}

void CaptionDecoderLayerImpl::step_rows(float* x, int64_t rows, DecoderLayerCache& cache,
                                        int64_t position, std::vector<float>& scratch) {
  // Each weight matrix serves every row before the next one is read, while it is in cache.
  const int64_t width = linear2_->weight.size(0), heads = self_attn_->heads(), dh = width / heads;
  const int64_t ffn = linear1_->weight.size(0);
  const float scale = 1.0F / std::sqrt(static_cast<float>(dh));
  const int64_t memory = cache.memory_keys.size(2), slots = cache.self_keys.size(2);
  const int64_t stride = std::max(3 * width, ffn);
  scratch.resize(static_cast<size_t>(rows * (2 * width + stride) + std::max(memory, slots) + width));
  float* normed = scratch.data();             // [rows, D]
  float* attended = normed + rows * width;    // [rows, D]
  float* work = attended + rows * width;      // [rows, stride]: q k v, or hidden units
  float* scores = work + rows * stride;       // [max(memory, slots)]
  float* product = scores + std::max(memory, slots);  // [D]
  const auto each_row = [&](auto&& body) {
    for (int64_t row = 0; row < rows; ++row) body(row, x + row * width);
  };

  each_row([&](int64_t row, float* xr) { layer_norm(*norm1_, xr, width, normed + row * width); });
  each_row([&](int64_t row, float*) {
    affine_row(self_attn_->in_proj_weight(), self_attn_->in_proj_bias(), normed + row * width,
               work + row * stride);
  });
  float* keys = cache.self_keys.data_ptr<float>();
  float* values = cache.self_values.data_ptr<float>();
  each_row([&](int64_t row, float*) {
    const float* qkv = work + row * stride;
    for (int64_t h = 0; h < heads; ++h) {
      const int64_t start = (row * heads + h) * slots * dh;
      std::copy_n(qkv + width + h * dh, dh, keys + start + position * dh);
      std::copy_n(qkv + 2 * width + h * dh, dh, values + start + position * dh);
      attend_row(qkv + h * dh, keys + start, values + start, position + 1, dh, scale, scores,
                 attended + row * width + h * dh);
    }
  });
  each_row([&](int64_t row, float* xr) {
    add_affine_row(self_attn_->out_proj()->weight, self_attn_->out_proj()->bias,
                   attended + row * width, product, xr);
  });

  each_row([&](int64_t row, float* xr) { layer_norm(*norm2_, xr, width, normed + row * width); });
  each_row([&](int64_t row, float*) {
    affine_row(floats(multihead_attn_->in_proj_weight()), floats(multihead_attn_->in_proj_bias()),
               width, width, normed + row * width, work + row * stride);
  });
  const float* memory_keys = floats(cache.memory_keys);
  const float* memory_values = floats(cache.memory_values);
  each_row([&](int64_t row, float*) {
    for (int64_t h = 0; h < heads; ++h) {
      const int64_t start = (row * heads + h) * memory * dh;
      attend_row(work + row * stride + h * dh, memory_keys + start, memory_values + start, memory,
                 dh, scale, scores, attended + row * width + h * dh);
    }
  });
  each_row([&](int64_t row, float* xr) {
    add_affine_row(multihead_attn_->out_proj()->weight, multihead_attn_->out_proj()->bias,
                   attended + row * width, product, xr);
  });

  each_row([&](int64_t row, float* xr) { layer_norm(*norm3_, xr, width, normed + row * width); });
  each_row([&](int64_t row, float*) {
    affine_row(linear1_->weight, linear1_->bias, normed + row * width, work + row * stride);
  });
  // LibTorch's vectorised GELU, in place: a scalar std::erf loop took longer than the products.
  auto hidden = torch::from_blob(work, {rows, ffn}, {stride, 1}, torch::kFloat);
  at::gelu_out(hidden, hidden);
  each_row([&](int64_t row, float* xr) {
    add_affine_row(linear2_->weight, linear2_->bias, work + row * stride, product, xr);
  });
}

torch::Tensor CaptionDecoderImpl::step_in_loops(const torch::Tensor& last_tokens,
                                                DecoderCache& cache) {
  const int64_t width = options_.width(), rows = last_tokens.size(0);
  const auto tokens = last_tokens.to(torch::kCPU, torch::kLong).contiguous();
  std::vector<float> x(static_cast<size_t>(rows * width)), normed(static_cast<size_t>(width));
  for (int64_t row = 0; row < rows; ++row) {
    const int64_t token = tokens.data_ptr<int64_t>()[row];
    if (token < 0 || token >= options_.vocab_size()) {
      throw Error("caption decoder: token " + std::to_string(token) +
                  " is outside the vocabulary of " + std::to_string(options_.vocab_size()));
    }
    const float* embedding = floats(token_embedding_->weight) + token * width;
    const float* position = floats(position_embedding_) + cache.length * width;
    for (int64_t i = 0; i < width; ++i) x[row * width + i] = embedding[i] + position[i];
  }
  std::vector<float> scratch;
  for (size_t i = 0; i < layers_.size(); ++i) {
    layers_[i]->step_rows(x.data(), rows, cache.layers[i], cache.length, scratch);
  }
  const auto& output = head_ ? head_->weight : token_embedding_->weight;
  auto logits = torch::empty({rows, output.size(0)});
  for (int64_t row = 0; row < rows; ++row) {
    layer_norm(*norm_, x.data() + row * width, width, normed.data());
    affine_row(floats(output), nullptr, output.size(0), width, normed.data(),
               logits.data_ptr<float>() + row * output.size(0));
  }
  cache.length += 1;
  return logits;
}

}  // namespace vedkit
