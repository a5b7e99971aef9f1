#pragma once

#include <torch/nn/modules/batchnorm.h>

#include "core/distributed.h"

namespace vedkit {

// Batch norm in training mode with its statistics over the batches of every rank in group,
// as torch.nn.SyncBatchNorm: the per-channel sums (in double) are all-reduced forward, and
// the gradient's sums backward. The running statistics move as bn's would on the whole batch.
torch::Tensor sync_batch_norm(const torch::Tensor& x, torch::nn::BatchNorm2dImpl& bn,
                              RankGroup& group);

}  // namespace vedkit
