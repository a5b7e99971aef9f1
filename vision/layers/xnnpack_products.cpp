// Built only where CMake found XNNPACK (VEDKIT_WITH_XNNPACK).
#include "vision/layers/xnnpack_products.h"

#include <ATen/Parallel.h>
#include <ATen/ops/softmax.h>
#include <ATen/record_function.h>
#include <xnnpack.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <tuple>
#include <vector>

#include "vision/layers/affine.h"

namespace vedkit {
namespace {

using WeakStorage = c10::weak_intrusive_ptr<c10::StorageImpl>;

// Where a tensor's values are and how many in-place changes they have seen. A stored entry
// holds a weak reference (`keep`), which keeps the storage's address from being reused while
// the entry lives; a lookup takes none, saving two atomic operations per product.
struct ValuesAt {
  std::optional<WeakStorage> storage;
  const c10::StorageImpl* address = nullptr;
  int64_t offset = 0;
  int64_t version = 0;

  static ValuesAt of(const torch::Tensor& t) {
    if (!t.defined()) return {};
    return {std::nullopt, t.storage().unsafeGetStorageImpl(), t.storage_offset(), t._version()};
  }
  static ValuesAt keep(const torch::Tensor& t) {
    auto at = of(t);
    if (t.defined()) at.storage = t.storage().getWeakStorageImpl();
    return at;
  }
  bool same_as(const ValuesAt& other) const {
    return address == other.address && offset == other.offset && version == other.version;
  }
};

// W split by output columns into one operator per thread: each thread runs its own slice on one
// core through LibTorch's OpenMP threads. XNNPACK's own pthreadpool fought OpenMP's spinning
// workers for the two cores and ran 10x slower.
struct PackedWeight {
  ValuesAt weight, bias;
  int64_t threads = 0;  // the thread count it was sliced for
  std::vector<xnn_operator_t> slices;
  std::vector<int64_t> first_column;  // of each slice, and the column count at the end
  std::mutex running;                 // setup stores the pointers that run then uses

  PackedWeight() = default;
  PackedWeight(const PackedWeight&) = delete;
  PackedWeight& operator=(const PackedWeight&) = delete;
  ~PackedWeight() {
    for (auto op : slices) xnn_delete_operator(op);
  }

  bool pack(const torch::Tensor& w, const torch::Tensor& b, int64_t count) {
    const int64_t out = w.size(0), in = w.size(1);
    // Slices in whole 16-column blocks, the width of XNNPACK's AVX-512 kernels.
    const int64_t blocks = (out + 15) / 16;
    count = std::max<int64_t>(1, std::min(count, blocks));
    for (int64_t s = 0; s <= count; ++s)
      first_column.push_back(std::min(out, blocks * s / count * 16));
    for (int64_t s = 0; s < count; ++s) {
      const int64_t begin = first_column[s], columns = first_column[s + 1] - begin;
      xnn_operator_t op = nullptr;
      if (xnn_create_fully_connected_nc_f32(in, columns, in, out, w.data_ptr<float>() + begin * in,
                                            b.defined() ? b.data_ptr<float>() + begin : nullptr,
                                            -INFINITY, INFINITY, 0, &op) != xnn_status_success) {
        return false;
      }
      slices.push_back(op);
    }
    return true;
  }

  bool run(const torch::Tensor& x, torch::Tensor& y) {
    std::lock_guard<std::mutex> lock(running);
    std::atomic<bool> ok{true};
    at::parallel_for(0, static_cast<int64_t>(slices.size()), 1, [&](int64_t begin, int64_t end) {
      for (int64_t s = begin; s < end; ++s) {
        if (xnn_setup_fully_connected_nc_f32(slices[s], x.size(0), x.data_ptr<float>(),
                                             y.data_ptr<float>() + first_column[s],
                                             nullptr) != xnn_status_success ||
            xnn_run_operator(slices[s], nullptr) != xnn_status_success) {
          ok = false;
        }
      }
    });
    return ok;
  }
};

// Keyed by the weight's storage, offset and shape: one packed copy per weight matrix (or per
// slice of one, as attention's query and key/value projections are).
using Key = std::tuple<const c10::StorageImpl*, int64_t, int64_t, int64_t>;

class PackedWeights {
 public:
  std::shared_ptr<PackedWeight> find_or_pack(const torch::Tensor& weight,
                                             const torch::Tensor& bias) {
    const auto weight_at = ValuesAt::of(weight), bias_at = ValuesAt::of(bias);
    const Key key{weight_at.address, weight_at.offset, weight.size(0), weight.size(1)};
    const int64_t threads = at::get_num_threads();
    std::lock_guard<std::mutex> lock(mutex_);
    auto found = packed_.find(key);
    if (found != packed_.end() && found->second->weight.same_as(weight_at) &&
        found->second->bias.same_as(bias_at) && found->second->threads == threads) {
      return found->second;
    }
    auto packed = std::make_shared<PackedWeight>();
    if (!packed->pack(weight, bias, threads)) return nullptr;
    packed->weight = ValuesAt::keep(weight);
    packed->bias = ValuesAt::keep(bias);
    packed->threads = threads;
    forget_freed_weights();
    packed_[key] = packed;
    return packed;
  }

 private:
  void forget_freed_weights() {
    for (auto it = packed_.begin(); it != packed_.end();) {
      it = it->second->weight.storage->expired() ? packed_.erase(it) : std::next(it);
    }
  }

  std::mutex mutex_;
  std::map<Key, std::shared_ptr<PackedWeight>> packed_;
};

bool xnnpack_ready() {
  static const bool ready = xnn_initialize(nullptr) == xnn_status_success;
  return ready;
}

// x [rows, in] (rows `in_stride` apart) times the dense `kernel` into y (rows `out_stride`
// apart) on the calling thread: [out, in] kernel, or [in, out] with `transposed`.
bool product_on_this_thread(const float* x, int64_t rows, int64_t in, int64_t in_stride,
                            const float* kernel, bool transposed, int64_t out, float* y,
                            int64_t out_stride) {
  xnn_operator_t op = nullptr;
  if (xnn_create_fully_connected_nc_f32(in, out, in_stride, out_stride, kernel, nullptr, -INFINITY,
                                        INFINITY, transposed ? XNN_FLAG_TRANSPOSE_WEIGHTS : 0,
                                        &op) != xnn_status_success) {
    return false;
  }
  const bool ok = xnn_setup_fully_connected_nc_f32(op, rows, x, y, nullptr) == xnn_status_success &&
                  xnn_run_operator(op, nullptr) == xnn_status_success;
  xnn_delete_operator(op);
  return ok;
}

// Rows of a [B, H, N, Dh] tensor's (b, h) block copied densely into `to`, times `factor`.
void copy_rows(const torch::Tensor& t, int64_t b, int64_t h, float factor, std::vector<float>& to) {
  const int64_t rows = t.size(2), dh = t.size(3), row_stride = t.stride(2);
  const float* from = t.data_ptr<float>() + b * t.stride(0) + h * t.stride(1);
  to.resize(static_cast<size_t>(rows * dh));
  float* dense = to.data();
  for (int64_t r = 0; r < rows; ++r) {
    const float* row = from + r * row_stride;
    for (int64_t d = 0; d < dh; ++d) dense[r * dh + d] = factor * row[d];
  }
}

bool is_float_cpu(const torch::Tensor& t) {
  return t.device().is_cpu() && t.scalar_type() == torch::kFloat && t.is_contiguous() &&
         !t.is_inference();  // an inference tensor keeps no version to check the packing against
}

}  // namespace

torch::Tensor xnnpack_linear(const torch::Tensor& x, const torch::Tensor& weight,
                             const torch::Tensor& bias) {
  const bool usable = x.dim() == 2 && x.device().is_cpu() && x.scalar_type() == torch::kFloat &&
                      x.is_contiguous() && weight.dim() == 2 && is_float_cpu(weight) &&
                      weight.size(1) == x.size(1) && weight.size(0) > 0 && weight.size(1) > 0 &&
                      (!bias.defined() ||
                       (bias.dim() == 1 && is_float_cpu(bias) && bias.size(0) == weight.size(0))) &&
                      !any_needs_gradient({&x, &weight, &bias});
  if (!usable || !xnnpack_ready()) return {};
  RECORD_FUNCTION("xnnpack_linear", std::vector<c10::IValue>());
  static PackedWeights packed_weights;
  const auto packed = packed_weights.find_or_pack(weight, bias);
  if (!packed) return {};

  auto y = torch::empty({x.size(0), weight.size(0)}, x.options());
  return packed->run(x, y) ? y : torch::Tensor();
}

torch::Tensor xnnpack_attention(const torch::Tensor& q, const torch::Tensor& k,
                                const torch::Tensor& v, const torch::Tensor& mask, double scale) {
  const auto plain = [](const torch::Tensor& t) {
    return t.dim() == 4 && t.device().is_cpu() && t.scalar_type() == torch::kFloat &&
           t.stride(3) == 1;
  };
  const int64_t batch = q.size(0), heads = q.size(1), length = q.size(2), dh = q.size(3);
  const int64_t sources = k.size(2);
  const bool usable =
      plain(q) && plain(k) && plain(v) && k.sizes() == v.sizes() && k.size(0) == batch &&
      k.size(1) == heads && k.size(3) == dh && q.stride(2) >= dh && length > 0 && sources > 0 &&
      dh > 0 &&
      (!mask.defined() || (mask.dim() == 2 && mask.size(0) == length && mask.size(1) == sources &&
                           mask.scalar_type() == torch::kFloat && mask.is_contiguous())) &&
      !any_needs_gradient({&q, &k, &v});
  if (!usable || !xnnpack_ready()) return {};
  RECORD_FUNCTION("xnnpack_attention", std::vector<c10::IValue>());

  auto y = torch::empty({batch, length, heads * dh}, q.options());
  // Fewer pairs than twice the threads (ViT-Ti at batch 1: 3 heads on 2 threads) leave a thread
  // idle at the end, so then each pair's queries split into parts that pack the keys again.
  const int64_t pairs = batch * heads, threads = at::get_num_threads();
  const int64_t parts =
      std::min(length, pairs >= 2 * threads ? 1 : (2 * threads + pairs - 1) / pairs);
  std::atomic<bool> ok{true};
  at::parallel_for(0, pairs * parts, 1, [&](int64_t begin, int64_t end) {
    thread_local std::vector<float> keys, values;
    for (int64_t task = begin; task < end; ++task) {
      const int64_t b = task / parts / heads, h = task / parts % heads, part = task % parts;
      const int64_t first = length * part / parts, rows = length * (part + 1) / parts - first;
      copy_rows(k, b, h, static_cast<float>(scale), keys);  // the scale goes on the keys
      copy_rows(v, b, h, 1.0f, values);
      auto scores = torch::empty({rows, sources}, q.options());
      const float* queries =
          q.data_ptr<float>() + b * q.stride(0) + h * q.stride(1) + first * q.stride(2);
      ok = ok && product_on_this_thread(queries, rows, dh, q.stride(2), keys.data(), false, sources,
                                        scores.data_ptr<float>(), sources);
      if (mask.defined()) scores.add_(mask.narrow(0, first, rows));
      const auto probabilities =
          at::softmax(scores, -1);  // on this thread: inside a parallel region
      ok = ok &&
           product_on_this_thread(
               probabilities.data_ptr<float>(), rows, sources, sources, values.data(), true, dh,
               y.data_ptr<float>() + b * y.stride(0) + first * y.stride(1) + h * dh, heads * dh);
    }
  });
  return ok ? y : torch::Tensor();
}

}  // namespace vedkit
