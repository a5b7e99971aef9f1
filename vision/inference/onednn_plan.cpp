#include "vision/inference/onednn_plan.h"

#include <algorithm>
#include <functional>
#include <numeric>

#include "vision/inference/channel_scale.h"
#include "vision/inference/conv_graph_calibration.h"
#include "vision/inference/int8_weights.h"

namespace vedkit {
namespace {

using dnnl::memory;
using Dims = memory::dims;
using Value = ConvGraph::Value;
using Kind = ConvGraph::Kind;

memory::desc tagged(const Dims& dims, memory::format_tag tag,
                    memory::data_type type = memory::data_type::f32) {
  return memory::desc(dims, type, tag);
}

// d's layout holding another data type of the same size.
memory::desc retyped(memory::desc d, memory::data_type type) {
  d.data.data_type = memory::convert_to_c(type);
  return d;
}

memory::desc blocked(const Dims& dims, int64_t block) {
  return tagged(dims, block == 16 ? memory::format_tag::nChw16c : memory::format_tag::nChw8c);
}

// A copy between layouts or data types: to = from * scale, rounded and saturated for int8.
OnednnStep reorder_step(const memory& from, const memory& to, float scale = 1.0f) {
  dnnl::primitive_attr attr;
  if (scale != 1.0f) attr.set_output_scales(0, {scale});
  return {dnnl::reorder(from, to, attr), {{DNNL_ARG_FROM, from}, {DNNL_ARG_TO, to}}};
}

bool is_int8(memory::data_type type) { return type != memory::data_type::f32; }

// Plans one input shape: values' shapes, where each value lives (a pooled buffer, its
// input's buffer, or its slot in a concatenation), then one primitive per operation.
class Planner {
 public:
  Planner(const ConvGraph& graph, const dnnl::engine& engine, int64_t block,
          const PackWeight& pack_weight, const PackWinograd& pack_winograd, bool winograd_allowed,
          const std::vector<float>& int8_ranges)
      : graph_(graph),
        ops_(graph.ops()),
        outputs_(graph.outputs()),
        engine_(engine),
        block_(block),
        pack_weight_(pack_weight),
        pack_winograd_(pack_winograd),
        winograd_allowed_(winograd_allowed && int8_ranges.empty()),
        int8_ranges_(int8_ranges),
        count_(static_cast<Value>(ops_.size())),
        dims_(count_),
        stored_(count_),
        slot_offset_(count_, 0),
        last_use_(count_, -1),
        buffer_(count_, -1),
        desc_(count_),
        mem_(count_),
        type_(count_, memory::data_type::f32),
        scale_(count_, 1.0f),
        quantized_type_(count_, memory::data_type::s8),
        quantized_scale_(count_, 1.0f) {
    std::iota(stored_.begin(), stored_.end(), 0);
  }

  std::unique_ptr<OnednnPlan> plan(const Dims& input_shape) {
    plan_ = std::make_unique<OnednnPlan>();
    shapes(input_shape);
    if (!int8_ranges_.empty()) quantize();
    concatenate_in_place();
    liveness();
    for (Value v = 0; v < count_; ++v) {
      emit(v);
      for (int b : temporaries_) plan_->pool.give_back(b);
      temporaries_.clear();
      for (Value input : ops_[v].inputs) release_after(input, v);
    }
    for (Value v : outputs_) {
      plan_->output_dims.push_back(dims_[v]);
      const auto nhwc = tagged(dims_[v], memory::format_tag::nhwc);
      // Made in nhwc by a step of its own (no alias, no other output): it is written straight
      // into each run's result.
      if (desc_[v] == nhwc && stored_[v] == v &&
          std::count(outputs_.begin(), outputs_.end(), v) == 1) {
        plan_->outputs.push_back(mem_[v]);
        continue;
      }
      memory out(nhwc, engine_, DNNL_MEMORY_NONE);
      plan_->steps.push_back(reorder_step(mem_[v], out, scale_[v]));
      plan_->outputs.push_back(out);
    }
    return std::move(plan_);
  }

 private:
  void shapes(const Dims& input_shape) {
    for (Value v = 0; v < count_; ++v) {
      const auto& op = ops_[v];
      if (op.kind == Kind::kInput) {
        dims_[v] = input_shape;
        if (dims_[v][1] != op.channels) throw UnsupportedShape{};
        continue;
      }
      const auto& in = dims_[op.inputs[0]];
      if (op.kind == Kind::kMean) {
        dims_[v] = {in[0], in[1], 1, 1};
      } else if (op.kind == Kind::kScale) {
        dims_[v] = in;
      } else if (op.kind == Kind::kResize) {
        const auto& like = dims_[op.inputs[1]];
        dims_[v] = {in[0], in[1], like[2], like[3]};
      } else if (op.kind == Kind::kConv || op.kind == Kind::kMaxPool) {
        const int64_t span = op.dilation * (op.kernel - 1) + 1;
        const int64_t h = (in[2] + 2 * op.padding - span) / op.stride + 1;
        const int64_t w = (in[3] + 2 * op.padding - span) / op.stride + 1;
        if (h < 1 || w < 1) throw UnsupportedShape{};
        dims_[v] = {in[0], op.channels, h, w};
      } else if (op.kind == Kind::kUpsample) {
        dims_[v] = {in[0], in[1], in[2] * 2, in[3] * 2};
        if (op.inputs.size() > 1) {
          const auto& like = dims_[op.inputs[1]];
          dims_[v] = {in[0], in[1], like[2], like[3]};
        }
        // torch's nearest takes source pixel floor(i * in / out); oneDNN's rounds from pixel
        // centres. The two agree for whole factors only.
        if (dims_[v][2] % in[2] != 0 || dims_[v][3] % in[3] != 0) throw UnsupportedShape{};
        // A resize by 1 does nothing: the value is its input's.
        if (dims_[v][2] == in[2] && dims_[v][3] == in[3]) stored_[v] = stored_[op.inputs[0]];
      } else {
        const auto& b = dims_[op.inputs[1]];
        if (in[2] != b[2] || in[3] != b[3]) throw UnsupportedShape{};
        dims_[v] = {in[0], in[1] + b[1], in[2], in[3]};
      }
    }
  }

  // Int8: every convolution runs in int8, and the values int8_values() names are held in
  // int8 (u8 after an activation that is never negative, else s8); the rest of the ops run in
  // float32. Values that pass through unchanged (a pool's input and output, the two
  // halves of a concatenation and the whole) share one scale, so no op rescales; each scale
  // spans its group's calibrated range. Without VNNI, u8 values keep to 0..127: AVX2's u8 x s8
  // multiply-add saturates at 16 bits for larger ones (as PyTorch's reduce_range).
  void quantize() {
    const auto int8 = int8_values(graph_);
    std::vector<Value> group(count_);
    std::iota(group.begin(), group.end(), 0);
    const std::function<Value(Value)> root = [&](Value v) {
      return group[v] == v ? v : group[v] = root(group[v]);
    };
    for (Value v = 0; v < count_; ++v) {
      const auto& op = ops_[v];
      if (!int8[v] || op.kind == Kind::kConv) continue;  // a pool, an upsample or a concatenation
      group[root(op.inputs[0])] = root(v);
      if (op.kind == Kind::kConcat) group[root(op.inputs[1])] = root(v);
    }
    std::vector<float> range(count_, 0.0f);
    std::vector<bool> negative(count_, false);
    for (Value v = 0; v < count_; ++v) {
      const auto& op = ops_[v];
      const bool never_negative =
          op.kind == Kind::kConv &&
          (op.activation == Activation::kReLU || op.activation == Activation::kSigmoid ||
           op.activation == Activation::kHardsigmoid);
      const bool passes_through =
          op.kind == Kind::kMaxPool || op.kind == Kind::kUpsample || op.kind == Kind::kConcat;
      const Value g = root(v);
      range[g] = std::max(range[g], int8_ranges_.at(v));
      if (!never_negative && !(passes_through && int8[v])) negative[g] = true;
    }
    const bool vnni = (static_cast<int>(dnnl::get_effective_cpu_isa()) & 0x440) != 0;
    u8_largest_ = vnni ? 255.0f : 127.0f;
    for (Value v = 0; v < count_; ++v) {
      const Value g = root(v);
      quantized_type_[v] = negative[g] ? memory::data_type::s8 : memory::data_type::u8;
      quantized_scale_[v] = range[g] > 0 ? range[g] / (negative[g] ? 127.0f : u8_largest_) : 1.0f;
      if (int8[v]) {
        type_[v] = quantized_type_[v];
        scale_[v] = quantized_scale_[v];
      }
    }
  }

  // A dilation at least the map's size puts every tap but the centre in the zero padding
  // for every output (ASPP's rate 36 on a 33x33 map): the same as a 1x1 convolution with
  // the centre weights, planned as one (the packer takes the centre for a 1x1 layout).
  bool centre_taps_only(Value v) const {
    const auto& op = ops_[v];
    const auto& in = dims_[op.inputs[0]];
    return op.kind == Kind::kConv && op.groups == 1 && op.stride == 1 && op.kernel % 2 == 1 &&
           op.dilation > 1 && op.padding == op.dilation * (op.kernel / 2) && op.dilation >= in[2] &&
           op.dilation >= in[3];
  }

  // oneDNN's direct kernels refuse some dilated convolutions in blocked layouts and leave its
  // reference kernel (rate 12 on a 33x33 map: 3 s); in nhwc its GEMM kernel takes them.
  bool planned_in_nhwc(Value v) const {
    const auto& op = ops_[v];
    return op.kind == Kind::kConv && op.dilation > 1 && op.groups == 1 && !centre_taps_only(v);
  }

  // With one image a batch, a value in channel blocks is one contiguous run of memory, so the
  // two halves of a concatenation can be written where the concatenation will be, by the ops
  // that make them: no copy. Each half must be made by an op we place (not the input, an
  // alias or another concatenation), whole blocks of channels, and in no other concatenation.
  void concatenate_in_place() {
    if (block_ == 0 || !int8_ranges_.empty()) return;
    for (Value c = 0; c < count_; ++c) {
      if (ops_[c].kind != Kind::kConcat || dims_[c][0] != 1) continue;
      bool fits = true;
      for (Value part : ops_[c].inputs) {
        const Kind kind = ops_[part].kind;
        fits = fits && stored_[part] == part && dims_[part][1] % block_ == 0 &&
               (kind == Kind::kConv || kind == Kind::kMaxPool || kind == Kind::kUpsample) &&
               !planned_in_nhwc(part);
      }
      const Value a = ops_[c].inputs[0], b = ops_[c].inputs[1];
      if (!fits || a == b) continue;
      stored_[a] = stored_[b] = c;
      slot_offset_[b] = 4 * dims_[a][1] * dims_[a][2] * dims_[a][3];
    }
    // An alias of a half lives in the concatenation's buffer too.
    for (Value v = 0; v < count_; ++v) stored_[v] = stored_[stored_[v]];
  }

  // The op after whose run each stored value's buffer can be reused.
  void liveness() {
    for (Value v = 0; v < count_; ++v) {
      for (Value input : ops_[v].inputs) last_use_[stored_[input]] = v;
    }
    for (Value v : outputs_) last_use_[stored_[v]] = count_;
  }

  void release_after(Value input, Value v) {
    const Value s = stored_[input];
    if (last_use_[s] == v && buffer_[s] >= 0) {
      plan_->pool.give_back(buffer_[s]);
      buffer_[s] = -1;
    }
  }

  // Puts value v, laid out as d, where it was planned to live.
  void place(Value v, const memory::desc& d) {
    desc_[v] = d;
    const Value s = stored_[v];
    if (s == v) {
      buffer_[v] = plan_->pool.take(d.get_size());
      mem_[v] = memory(d, engine_, plan_->pool.data(buffer_[v]));
      return;
    }
    // A slot of concatenation s: its buffer is taken by whichever half comes first.
    if (buffer_[s] < 0) buffer_[s] = plan_->pool.take(blocked(dims_[s], block_).get_size());
    mem_[v] = memory(d, engine_, plan_->pool.data(buffer_[s]) + slot_offset_[v]);
  }

  // The layout v must be made in: a concatenation's slot fixes it; else the primitive chooses.
  memory::desc wanted(Value v) const {
    if (stored_[v] != v && ops_[stored_[v]].kind == Kind::kConcat) {
      return blocked(dims_[v], block_);
    }
    return tagged(dims_[v], memory::format_tag::any, type_[v]);
  }

  // x laid out as `want`: itself, or a reordered copy in a buffer given back after this op;
  // in float32 at its real values, or in int8 at its quantized scale.
  memory as(Value x, const memory::desc& want) {
    if (desc_[x] == want) return mem_[x];
    const int b = plan_->pool.take(want.get_size());
    temporaries_.push_back(b);
    memory copy(want, engine_, plan_->pool.data(b));
    const auto type = static_cast<memory::data_type>(want.data.data_type);
    plan_->steps.push_back(
        reorder_step(mem_[x], copy, scale_[x] / (is_int8(type) ? quantized_scale_[x] : 1.0f)));
    return copy;
  }

  // x in float32: itself, or its int8 values scaled back, channels-last.
  memory in_float(Value x) {
    return is_int8(type_[x]) ? as(x, tagged(dims_[x], memory::format_tag::nhwc)) : mem_[x];
  }

  void emit(Value v) {
    switch (ops_[v].kind) {
      case Kind::kInput:
        desc_[v] = tagged(dims_[v], memory::format_tag::nchw);
        plan_->input = mem_[v] = memory(desc_[v], engine_, DNNL_MEMORY_NONE);
        break;
      case Kind::kConv:
        if (takes_winograd(v)) {
          emit_winograd(v);
        } else {
          emit_conv(v);
        }
        break;
      case Kind::kMaxPool:
        emit_max_pool(v);
        break;
      case Kind::kUpsample:
        emit_upsample(v);
        break;
      case Kind::kConcat:
        emit_concat(v);
        break;
      case Kind::kMean:
        emit_mean(v);
        break;
      case Kind::kScale:
        emit_scale(v);
        break;
      case Kind::kResize:
        emit_resize(v);
        break;
    }
  }

  static void append_activation(dnnl::post_ops& post, Activation activation) {
    using dnnl::algorithm;
    switch (activation) {
      case Activation::kNone:
        break;
      case Activation::kReLU:
        post.append_eltwise(1.0f, algorithm::eltwise_relu, 0.0f, 0.0f);
        break;
      case Activation::kHardswish:
        post.append_eltwise(1.0f, algorithm::eltwise_hardswish, 0.0f, 0.0f);
        break;
      case Activation::kSigmoid:
        post.append_eltwise(1.0f, algorithm::eltwise_logistic, 0.0f, 0.0f);
        break;
      case Activation::kHardsigmoid:
        post.append_eltwise(1.0f, algorithm::eltwise_linear, 1.0f / 6, 0.5f);
        post.append_eltwise(1.0f, algorithm::eltwise_clip, 0.0f, 1.0f);
        break;
    }
  }

  void emit_mean(Value v) {
    const Value x = ops_[v].inputs[0];
    const auto& in = dims_[x];
    const memory src = in_float(x);
    const dnnl::pooling_forward::desc pool_desc(
        dnnl::prop_kind::forward_inference, dnnl::algorithm::pooling_avg_exclude_padding,
        src.get_desc(), tagged(dims_[v], memory::format_tag::any), {1, 1}, {in[2], in[3]}, {0, 0},
        {0, 0});
    const dnnl::pooling_forward::primitive_desc pd(pool_desc, engine_);
    place(v, pd.dst_desc());
    plan_->steps.push_back(
        {dnnl::pooling_forward(pd), {{DNNL_ARG_SRC, src}, {DNNL_ARG_DST, mem_[v]}}});
  }

  void emit_scale(Value v) {
    const Value x = ops_[v].inputs[0], s = ops_[v].inputs[1];
    const memory scale = as(s, tagged(dims_[s], memory::format_tag::nchw));
    if (block_ != 0) {
      const memory src = as(x, blocked(dims_[x], block_));
      place(v, blocked(dims_[v], block_));
      OnednnStep step;
      step.own = [src, scale, dst = mem_[v], dims = dims_[v], block = block_]() {
        scale_blocked_channels(static_cast<float*>(dst.get_data_handle()),
                               static_cast<const float*>(src.get_data_handle()),
                               static_cast<const float*>(scale.get_data_handle()), dims[0], dims[1],
                               dims[2] * dims[3], block);
      };
      plan_->steps.push_back(std::move(step));
      return;
    }
    const memory src = in_float(x);
    const dnnl::binary::desc mul_desc(dnnl::algorithm::binary_mul, src.get_desc(), scale.get_desc(),
                                      src.get_desc());
    const dnnl::binary::primitive_desc pd(mul_desc, engine_);
    place(v, pd.dst_desc());
    plan_->steps.push_back(
        {dnnl::binary(pd),
         {{DNNL_ARG_SRC_0, src}, {DNNL_ARG_SRC_1, scale}, {DNNL_ARG_DST, mem_[v]}}});
  }

  void emit_resize(Value v) {
    const Value x = ops_[v].inputs[0];
    // An output is made in the layout it is handed back in, so it needs no reorder after; its
    // source goes to that layout first (oneDNN resamples between two layouts by reference).
    const bool output = std::count(outputs_.begin(), outputs_.end(), v) > 0;
    const memory src = output ? as(x, tagged(dims_[x], memory::format_tag::nhwc)) : in_float(x);
    const dnnl::resampling_forward::desc resample_desc(
        dnnl::prop_kind::forward_inference, dnnl::algorithm::resampling_linear, src.get_desc(),
        output ? tagged(dims_[v], memory::format_tag::nhwc) : wanted(v));
    const dnnl::resampling_forward::primitive_desc pd(resample_desc, engine_);
    place(v, pd.dst_desc());
    plan_->steps.push_back(
        {dnnl::resampling_forward(pd), {{DNNL_ARG_SRC, src}, {DNNL_ARG_DST, mem_[v]}}});
  }

  void emit_conv(Value v) {
    const auto& op = ops_[v];
    const Value x = op.inputs[0];
    const bool int8 = !int8_ranges_.empty();
    const bool residual = op.inputs.size() > 1;
    const memory::desc bias_desc =
        op.bias.defined() ? tagged({op.channels}, memory::format_tag::x) : memory::desc();
    // In int8, the product comes out at real values (the input's and each output channel's
    // weight scale), the bias being given in the product's units; the residual adds in at its
    // scale and the activation sees real values; a last step scales to v's int8 values.
    std::vector<float> product_scales;
    if (int8) {
      for (float w : int8_weight_scales(op.weight))
        product_scales.push_back(quantized_scale_[x] * w);
    }
    dnnl::post_ops post;
    memory::data_type residual_type = type_[v];
    if (residual && int8) {
      const Value r = op.inputs[1];
      if (is_int8(type_[r]) && is_int8(type_[v])) residual_type = type_[r];
      if (is_int8(residual_type)) {
        post.append_sum(residual_type == type_[r] ? scale_[r] : scale_[v], residual_type);
      } else {
        post.append_sum(1.0f);
      }
    } else if (residual) {
      post.append_sum(1.0f);
    }
    if (is_int8(type_[v]) && op.activation == Activation::kHardsigmoid) {
      // clip(x / 6 + 1/2, 0, 1) straight in v's units: oneDNN 2.6's int8 kernels lose the
      // result of the four-step chain (two linear steps) the general case would give.
      const float units = 1.0f / scale_[v];
      post.append_eltwise(1.0f, dnnl::algorithm::eltwise_linear, units / 6, units / 2);
      post.append_eltwise(1.0f, dnnl::algorithm::eltwise_clip, 0.0f, std::min(units, u8_largest_));
    } else {
      append_activation(post, op.activation);
      if (is_int8(type_[v])) {
        post.append_eltwise(1.0f, dnnl::algorithm::eltwise_linear, 1.0f / scale_[v], 0.0f);
        // Saturation alone would let u8 values run to 255.
        if (type_[v] == memory::data_type::u8 && u8_largest_ < 255.0f) {
          post.append_eltwise(1.0f, dnnl::algorithm::eltwise_clip, 0.0f, u8_largest_);
        }
      }
    }
    dnnl::primitive_attr attr;
    if (int8) attr.set_output_scales(2, product_scales);
    attr.set_post_ops(post);
    const bool centre_only = centre_taps_only(v);
    const int64_t kernel = centre_only ? 1 : op.kernel;
    const int64_t dilation = centre_only ? 1 : op.dilation;
    const int64_t padding = centre_only ? 0 : op.padding;
    const Dims weight_dims = op.groups == 1 ? Dims{op.channels, dims_[x][1], kernel, kernel}
                                            : Dims{op.groups, op.channels / op.groups,
                                                   dims_[x][1] / op.groups, kernel, kernel};
    const bool plain = planned_in_nhwc(v);
    const auto layout = plain ? memory::format_tag::nhwc : memory::format_tag::any;
    const auto src_type = int8 ? quantized_type_[x] : memory::data_type::f32;
    const dnnl::convolution_forward::desc conv_desc(
        dnnl::prop_kind::forward_inference, dnnl::algorithm::convolution_direct,
        tagged(dims_[x], layout, src_type),
        tagged(weight_dims, memory::format_tag::any,
               int8 ? memory::data_type::s8 : memory::data_type::f32),
        bias_desc, plain ? tagged(dims_[v], layout, type_[v]) : wanted(v), {op.stride, op.stride},
        {dilation - 1, dilation - 1}, {padding, padding}, {padding, padding});
    const dnnl::convolution_forward::primitive_desc pd(conv_desc, attr, engine_);
    std::unordered_map<int, memory> args = {{DNNL_ARG_SRC, as(x, pd.src_desc())},
                                            {DNNL_ARG_WEIGHTS, pack_weight_(v, pd.weights_desc())}};
    if (op.bias.defined()) {
      float* bias = op.bias.data_ptr<float>();
      if (int8) {
        auto& in_product_units = plan_->constants.emplace_back(bias, bias + op.channels);
        for (int64_t c = 0; c < op.channels; ++c) in_product_units[c] /= product_scales[c];
        bias = in_product_units.data();
      }
      args[DNNL_ARG_BIAS] = memory(bias_desc, engine_, bias);
    }
    place_conv(v, pd.dst_desc(), residual_type);
    args[DNNL_ARG_DST] = mem_[v];
    plan_->steps.push_back({dnnl::convolution_forward(pd), std::move(args)});
  }

  // Places convolution v, made in layout d. Its residual sum adds into the destination, held
  // there as residual_type: where nothing reads the residual later (this convolution's own
  // input included), the convolution writes over it; else the residual is copied to v's own
  // place first (scaled to v's values where their types differ).
  void place_conv(Value v, const memory::desc& d,
                  memory::data_type residual_type = memory::data_type::f32) {
    const auto& op = ops_[v];
    if (op.inputs.size() < 2) return place(v, d);
    const Value x = op.inputs[0], r = op.inputs[1];
    const auto held = retyped(d, residual_type);
    if (stored_[v] == v && stored_[r] == r && last_use_[r] == v && stored_[x] != r &&
        desc_[r] == held) {
      desc_[v] = d;
      mem_[v] = memory(d, engine_, mem_[r].get_data_handle());
      std::swap(buffer_[v], buffer_[r]);
    } else {
      place(v, d);
      const float scale = residual_type == type_[r] ? 1.0f : scale_[r] / scale_[v];
      // v itself where it holds its own type: an output's buffer is swapped for each run's result.
      const memory into = held == d ? mem_[v] : memory(held, engine_, mem_[v].get_data_handle());
      plan_->steps.push_back(reorder_step(mem_[r], into, scale));
    }
  }

  bool takes_winograd(Value v) const {
    const auto& op = ops_[v];
    const auto& in = dims_[op.inputs[0]];
    return winograd_allowed_ && block_ == 8 && op.kernel == 3 && op.stride == 1 &&
           op.padding == 1 && op.dilation == 1 && op.groups == 1 &&
           (op.activation == Activation::kNone || op.activation == Activation::kReLU) &&
           in[1] % 8 == 0 && op.channels % 8 == 0 && winograd::worthwhile(in[0], in[2], in[3]);
  }

  void emit_winograd(Value v) {
    const auto& op = ops_[v];
    const Value x = op.inputs[0];
    const memory src = as(x, blocked(dims_[x], block_));
    place_conv(v, blocked(dims_[v], block_));
    winograd::Conv conv;
    conv.bias = op.bias.defined() ? op.bias.data_ptr<float>() : nullptr;
    conv.batch = dims_[v][0];
    conv.height = dims_[v][2];
    conv.width = dims_[v][3];
    conv.accumulate = op.inputs.size() > 1;
    conv.relu = op.relu();
    OnednnStep step;
    step.own = [conv, src, dst = mem_[v], weights = pack_winograd_(v)]() mutable {
      conv.src = static_cast<const float*>(src.get_data_handle());
      conv.dst = static_cast<float*>(dst.get_data_handle());
      winograd::run(conv, weights);
    };
    plan_->steps.push_back(std::move(step));
  }

  void emit_max_pool(Value v) {
    const auto& op = ops_[v];
    const Value x = op.inputs[0];
    const dnnl::pooling_forward::desc pool_desc(dnnl::prop_kind::forward_inference,
                                                dnnl::algorithm::pooling_max, desc_[x], wanted(v),
                                                {op.stride, op.stride}, {op.kernel, op.kernel},
                                                {op.padding, op.padding}, {op.padding, op.padding});
    const dnnl::pooling_forward::primitive_desc pd(pool_desc, engine_);
    place(v, pd.dst_desc());
    plan_->steps.push_back(
        {dnnl::pooling_forward(pd), {{DNNL_ARG_SRC, mem_[x]}, {DNNL_ARG_DST, mem_[v]}}});
  }

  void emit_upsample(Value v) {
    const Value x = ops_[v].inputs[0];
    if (stored_[v] == stored_[x] && dims_[v] == dims_[x]) {
      desc_[v] = desc_[x];
      mem_[v] = mem_[x];
      return;
    }
    const dnnl::resampling_forward::desc resample_desc(dnnl::prop_kind::forward_inference,
                                                       dnnl::algorithm::resampling_nearest,
                                                       desc_[x], wanted(v));
    const dnnl::resampling_forward::primitive_desc pd(resample_desc, engine_);
    place(v, pd.dst_desc());
    plan_->steps.push_back(
        {dnnl::resampling_forward(pd), {{DNNL_ARG_SRC, mem_[x]}, {DNNL_ARG_DST, mem_[v]}}});
  }

  void emit_concat(Value v) {
    const Value a = ops_[v].inputs[0], b = ops_[v].inputs[1];
    if (stored_[a] == v) {  // both halves are already in place
      desc_[v] = blocked(dims_[v], block_);
      mem_[v] = memory(desc_[v], engine_, plan_->pool.data(buffer_[v]));
      return;
    }
    // Two int8 halves share the whole's type and scale; else both go in float32.
    const memory first = is_int8(type_[v]) ? mem_[a] : in_float(a);
    const memory second = is_int8(type_[v]) ? mem_[b] : in_float(b);
    const dnnl::concat::primitive_desc pd(1, {first.get_desc(), second.get_desc()}, engine_);
    place(v, pd.dst_desc());
    plan_->steps.push_back({dnnl::concat(pd),
                            {{DNNL_ARG_MULTIPLE_SRC, first},
                             {DNNL_ARG_MULTIPLE_SRC + 1, second},
                             {DNNL_ARG_DST, mem_[v]}}});
  }

  const ConvGraph& graph_;
  const std::vector<ConvGraph::Op>& ops_;
  const std::vector<Value>& outputs_;
  const dnnl::engine& engine_;
  const int64_t block_;
  const PackWeight& pack_weight_;
  const PackWinograd& pack_winograd_;
  const bool winograd_allowed_;
  const std::vector<float>& int8_ranges_;  // per value; empty in float32
  const Value count_;
  std::vector<Dims> dims_;
  std::vector<Value> stored_;         // the value whose buffer holds each value's
  std::vector<int64_t> slot_offset_;  // bytes into a concatenation's buffer
  std::vector<int> last_use_;         // per stored value
  std::vector<int> buffer_;           // per stored value, while it holds one
  std::vector<memory::desc> desc_;
  std::vector<memory> mem_;
  std::vector<int> temporaries_;
  std::unique_ptr<OnednnPlan> plan_;
  // Int8 (all float32 at scale 1 otherwise): how each value is held, real = scale * held.
  std::vector<memory::data_type> type_;
  std::vector<float> scale_;
  // How each value enters an int8 convolution.
  std::vector<memory::data_type> quantized_type_;
  std::vector<float> quantized_scale_;
  float u8_largest_ = 255.0f;
};

}  // namespace

int BufferPool::take(size_t bytes) {
  int best = -1;
  for (int i : free_) {
    if (sizes_[i] >= bytes && (best < 0 || sizes_[i] < sizes_[best])) best = i;
  }
  if (best >= 0) {
    free_.erase(std::find(free_.begin(), free_.end(), best));
    return best;
  }
  buffers_.push_back(aligned_buffer(bytes));
  sizes_.push_back(bytes);
  return static_cast<int>(buffers_.size()) - 1;
}

std::unique_ptr<OnednnPlan> plan_conv_graph(const ConvGraph& graph, const Dims& input_shape,
                                            const dnnl::engine& engine, int64_t block,
                                            const PackWeight& pack_weight,
                                            const PackWinograd& pack_winograd,
                                            bool winograd_allowed,
                                            const std::vector<float>& int8_ranges) {
  return Planner(graph, engine, block, pack_weight, pack_winograd, winograd_allowed, int8_ranges)
      .plan(input_shape);
}

int64_t preferred_channel_block(const dnnl::engine& engine) {
  const Dims dims = {1, 64, 16, 16};
  const dnnl::convolution_forward::desc probe(
      dnnl::prop_kind::forward_inference, dnnl::algorithm::convolution_direct,
      tagged(dims, memory::format_tag::any), tagged({64, 64, 3, 3}, memory::format_tag::any),
      tagged(dims, memory::format_tag::any), {1, 1}, {1, 1}, {1, 1});
  const auto chosen = dnnl::convolution_forward::primitive_desc(probe, engine).dst_desc();
  for (int64_t block : {16, 8}) {
    if (chosen == blocked(dims, block)) return block;
  }
  return 0;
}

}  // namespace vedkit
