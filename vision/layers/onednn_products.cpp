// Built only where CMake found oneDNN (VEDKIT_WITH_ONEDNN).
#include "vision/layers/onednn_products.h"

#include <ATen/ops/empty.h>

#include <dnnl.hpp>
#include <map>
#include <mutex>
#include <tuple>

#include "vision/layers/affine.h"

namespace vedkit {
namespace {

using dnnl::memory;
using Dims = memory::dims;

dnnl::engine& cpu_engine() {
  static dnnl::engine engine(dnnl::engine::kind::cpu, 0);
  return engine;
}

memory::desc strided(const Dims& dims, const Dims& strides) {
  return memory::desc(dims, memory::data_type::f32, strides);
}

// rows, in, out, x's row stride, W's row stride, bias, gelu.
using ProductKey = std::tuple<int64_t, int64_t, int64_t, int64_t, int64_t, bool, bool>;

Dims dims_of(const torch::Tensor& t) { return Dims(t.sizes().begin(), t.sizes().end()); }
Dims strides_of(const torch::Tensor& t) { return Dims(t.strides().begin(), t.strides().end()); }

bool float_cpu(const torch::Tensor& t) {
  return t.device().is_cpu() && t.scalar_type() == torch::kFloat;
}

// The three primitives of one attention shape: scores = scale q k^T, softmax over the
// sources, y = p v.
struct AttentionPrimitives {
  dnnl::matmul scores, mix;
  dnnl::softmax_forward softmax;
  memory::desc q, k_t, s, v, y;
};

}  // namespace

bool onednn_products_preferred() {
  static const bool preferred = dnnl::get_effective_cpu_isa() < dnnl::cpu_isa::avx512_core;
  return preferred;
}

torch::Tensor onednn_linear(const torch::Tensor& x, const torch::Tensor& weight,
                            const torch::Tensor& bias, bool gelu) {
  if (x.dim() != 2 || weight.dim() != 2 || !float_cpu(x) || !float_cpu(weight) ||
      x.stride(1) != 1 || weight.stride(1) != 1 || weight.size(1) != x.size(1) ||
      (bias.defined() && (!float_cpu(bias) || bias.dim() != 1 || bias.size(0) != weight.size(0) ||
                          bias.stride(0) != 1)) ||
      any_needs_gradient({&x, &weight, &bias})) {
    return {};
  }
  const int64_t rows = x.size(0), in = x.size(1), out = weight.size(0);
  const Dims src_dims = {rows, in}, weight_dims = {in, out}, dst_dims = {rows, out};
  const memory::desc src = strided(src_dims, {x.stride(0), 1});
  const memory::desc weights = strided(weight_dims, {1, weight.stride(0)});  // W^T as it lies
  const memory::desc bias_desc = bias.defined() ? strided({1, out}, {out, 1}) : memory::desc();
  const memory::desc dst = strided(dst_dims, {out, 1});

  // Primitives are made once per shape; their library-held scratchpad makes running one from
  // two threads at once unsafe, so runs take the lock too.
  static std::mutex guard;
  static std::map<ProductKey, dnnl::matmul> products;
  std::lock_guard<std::mutex> lock(guard);
  const ProductKey key{rows, in, out, x.stride(0), weight.stride(0), bias.defined(), gelu};
  auto found = products.find(key);
  if (found == products.end()) {
    dnnl::primitive_attr attr;
    if (gelu) {
      dnnl::post_ops post;
      post.append_eltwise(1.0f, dnnl::algorithm::eltwise_gelu_erf, 0.0f, 0.0f);
      attr.set_post_ops(post);
    }
    try {
      const dnnl::matmul::primitive_desc pd(dnnl::matmul::desc(src, weights, bias_desc, dst), attr,
                                            cpu_engine());
      found = products.emplace(key, dnnl::matmul(pd)).first;
    } catch (const dnnl::error&) {
      return {};
    }
  }
  auto y = at::empty({rows, out}, x.options());
  auto& engine = cpu_engine();
  std::unordered_map<int, memory> args = {
      {DNNL_ARG_SRC, memory(src, engine, x.data_ptr<float>())},
      {DNNL_ARG_WEIGHTS, memory(weights, engine, weight.data_ptr<float>())},
      {DNNL_ARG_DST, memory(dst, engine, y.data_ptr<float>())}};
  if (bias.defined()) args[DNNL_ARG_BIAS] = memory(bias_desc, engine, bias.data_ptr<float>());
  dnnl::stream stream(engine);
  found->second.execute(stream, args);
  stream.wait();
  return y;
}

torch::Tensor onednn_attention(const torch::Tensor& q, const torch::Tensor& k,
                               const torch::Tensor& v, double scale) {
  const auto plain = [](const torch::Tensor& t) {
    return t.dim() == 4 && float_cpu(t) && t.stride(3) == 1;
  };
  if (!plain(q) || !plain(k) || !plain(v) || k.sizes() != v.sizes() || k.size(0) != q.size(0) ||
      k.size(1) != q.size(1) || k.size(3) != q.size(3) || q.size(2) == 0 || k.size(2) == 0 ||
      any_needs_gradient({&q, &k, &v})) {
    return {};
  }
  const int64_t batch = q.size(0), heads = q.size(1), length = q.size(2), dh = q.size(3);
  const int64_t sources = k.size(2);
  const auto strides = strides_of(q);
  // k^T [B, H, Dh, S] is k read with its last two strides swapped.
  const Dims k_t_strides = {k.stride(0), k.stride(1), 1, k.stride(2)};
  const Dims scores_dims = {batch, heads, length, sources};
  // y [B, T, H, Dh] written as [B, H, T, Dh]: the heads side by side in each row.
  const Dims y_strides = {length * heads * dh, dh, heads * dh, 1};

  using Key = std::tuple<Dims, Dims, Dims, Dims, Dims, float>;
  static std::mutex guard;
  static std::map<Key, AttentionPrimitives> cache;
  std::lock_guard<std::mutex> lock(guard);
  const Key key{dims_of(q),    dims_of(k),    strides,
                strides_of(k), strides_of(v), static_cast<float>(scale)};
  auto found = cache.find(key);
  if (found == cache.end()) {
    AttentionPrimitives p;
    p.q = strided(dims_of(q), strides);
    p.k_t = strided({batch, heads, dh, sources}, k_t_strides);
    p.s = memory::desc(scores_dims, memory::data_type::f32, memory::format_tag::abcd);
    p.v = strided(dims_of(v), strides_of(v));
    p.y = strided({batch, heads, length, dh}, y_strides);
    try {
      dnnl::primitive_attr scaled;
      scaled.set_output_scales(0, {static_cast<float>(scale)});
      p.scores = dnnl::matmul(
          dnnl::matmul::primitive_desc(dnnl::matmul::desc(p.q, p.k_t, p.s), scaled, cpu_engine()));
      p.softmax = dnnl::softmax_forward(dnnl::softmax_forward::primitive_desc(
          dnnl::softmax_forward::desc(dnnl::prop_kind::forward_inference, p.s, 3), cpu_engine()));
      p.mix = dnnl::matmul(
          dnnl::matmul::primitive_desc(dnnl::matmul::desc(p.s, p.v, p.y), cpu_engine()));
    } catch (const dnnl::error&) {
      return {};
    }
    found = cache.emplace(key, std::move(p)).first;
  }
  const auto& p = found->second;
  auto scores = at::empty(scores_dims, q.options());
  auto y = at::empty({batch, length, heads * dh}, q.options());
  auto& engine = cpu_engine();
  memory q_mem(p.q, engine, q.data_ptr<float>()), k_mem(p.k_t, engine, k.data_ptr<float>()),
      s_mem(p.s, engine, scores.data_ptr<float>()), v_mem(p.v, engine, v.data_ptr<float>()),
      y_mem(p.y, engine, y.data_ptr<float>());
  dnnl::stream stream(engine);
  p.scores.execute(stream,
                   {{DNNL_ARG_SRC, q_mem}, {DNNL_ARG_WEIGHTS, k_mem}, {DNNL_ARG_DST, s_mem}});
  p.softmax.execute(stream, {{DNNL_ARG_SRC, s_mem}, {DNNL_ARG_DST, s_mem}});
  p.mix.execute(stream, {{DNNL_ARG_SRC, s_mem}, {DNNL_ARG_WEIGHTS, v_mem}, {DNNL_ARG_DST, y_mem}});
  stream.wait();
  return y;
}

}  // namespace vedkit
