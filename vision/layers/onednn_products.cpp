// Built only where CMake found oneDNN (VEDKIT_WITH_ONEDNN).
#include "vision/layers/onednn_products.h"

#include <ATen/ops/empty.h>
#include <dnnl.hpp>

#include <map>
#include <mutex>
#include <tuple>

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

}  // namespace

bool onednn_products_preferred() {
  static const bool preferred = dnnl::get_effective_cpu_isa() < dnnl::cpu_isa::avx512_core;
  return preferred;
}

torch::Tensor onednn_linear(const torch::Tensor& x, const torch::Tensor& weight,
                            const torch::Tensor& bias, bool gelu) {
  const auto float_cpu = [](const torch::Tensor& t) {
    return t.device().is_cpu() && t.scalar_type() == torch::kFloat;
  };
  if (x.dim() != 2 || weight.dim() != 2 || !float_cpu(x) || !float_cpu(weight) ||
      x.stride(1) != 1 || weight.stride(1) != 1 || weight.size(1) != x.size(1) ||
      (bias.defined() && (!float_cpu(bias) || bias.dim() != 1 || bias.size(0) != weight.size(0) ||
                          bias.stride(0) != 1)) ||
      (torch::GradMode::is_enabled() &&
       (x.requires_grad() || weight.requires_grad() || (bias.defined() && bias.requires_grad())))) {
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

}  // namespace vedkit
