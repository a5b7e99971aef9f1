#pragma once

#include <ATen/core/Tensor.h>

namespace vedkit {

// Each query's mean Euclidean distance to its k nearest references: queries [N, D] and
// references [M, D] float, M >= k; returns [N]. A reference equal to the query counts, so
// score the references themselves with k + 1 and drop the zero.
at::Tensor mean_distance_to_nearest(const at::Tensor& queries, const at::Tensor& references,
                                    int64_t k);

}  // namespace vedkit
