#include "vision/layers/packed_weights.h"

#include <c10/core/Storage.h>

#include <map>
#include <mutex>
#include <tuple>

namespace vedkit {
namespace {

// Where a weight lies: its storage (held weakly, so the address cannot be reused while the
// entry exists), offset, shape and row stride.
using PackedKey = std::tuple<const void*, int64_t, int64_t, int64_t, int64_t>;

struct PackedEntry {
  c10::weak_intrusive_ptr<c10::StorageImpl> storage;
  int64_t version;
  std::shared_ptr<const packed_product::Weights> weights;
};

}  // namespace

std::shared_ptr<const packed_product::Weights> packed_weights(const torch::Tensor& weight) {
  if (weight.is_inference() || weight.dim() != 2 || weight.stride(1) != 1 ||
      !weight.device().is_cpu() || weight.scalar_type() != torch::kFloat) {
    return nullptr;
  }
  static std::mutex guard;
  static std::map<PackedKey, PackedEntry> cache;
  const auto& storage = weight.storage();
  const PackedKey key{storage.unsafeGetStorageImpl(), weight.storage_offset(), weight.size(0),
                      weight.size(1), weight.stride(0)};
  const int64_t version = weight._version();
  std::lock_guard<std::mutex> lock(guard);
  const auto found = cache.find(key);
  if (found != cache.end() && !found->second.storage.expired() &&
      found->second.version == version) {
    return found->second.weights;
  }
  // Entries of weights that are gone are dropped as new ones come.
  for (auto it = cache.begin(); it != cache.end();) {
    it = it->second.storage.expired() ? cache.erase(it) : std::next(it);
  }
  auto weights = std::make_shared<const packed_product::Weights>(packed_product::pack(
      weight.data_ptr<float>(), weight.size(0), weight.size(1), weight.stride(0)));
  cache.insert_or_assign(key, PackedEntry{storage.getWeakStorageImpl(), version, weights});
  return weights;
}

}  // namespace vedkit
