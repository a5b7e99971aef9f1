#include "vision/metrics/nearest_neighbours.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <stdexcept>
#include <string>
#include <vector>

namespace vedkit {

at::Tensor mean_distance_to_nearest(const at::Tensor& queries, const at::Tensor& references,
                                    int64_t k) {
  if (k < 1 || references.size(0) < k) {
    throw std::invalid_argument("nearest neighbours: k = " + std::to_string(k) + " of " +
                                std::to_string(references.size(0)) + " references");
  }
  // In blocks of queries, so the distance matrix stays small for tens of thousands of references.
  constexpr int64_t kBlock = 1024;
  std::vector<at::Tensor> means;
  for (int64_t start = 0; start < queries.size(0); start += kBlock) {
    const auto block = queries.narrow(0, start, std::min(kBlock, queries.size(0) - start));
    const auto distances = at::cdist(block, references);
    means.push_back(std::get<0>(distances.topk(k, 1, /*largest=*/false)).mean(1));
  }
  return at::cat(means);
}

}  // namespace vedkit
