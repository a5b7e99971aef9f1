#pragma once

#include <ATen/core/Tensor.h>

#include <memory>
#include <vector>

#include "core/distributed.h"

namespace torch::autograd {
struct Node;
}

namespace vedkit {

// Averages gradients over the ranks as PyTorch's DistributedDataParallel does: parameters in
// buckets of about bucket_mb, in the reverse of their order (roughly the order backward
// produces their gradients); a bucket's all-reduce starts as soon as its last gradient is
// accumulated, while backward goes on with the layers before.
class GradientReducer {
 public:
  GradientReducer(const std::vector<at::Tensor>& parameters, RankGroup& group, double bucket_mb);
  ~GradientReducer();
  GradientReducer(const GradientReducer&) = delete;
  GradientReducer& operator=(const GradientReducer&) = delete;

  // After backward: starts the buckets some of whose parameters got no gradient (as zeros),
  // waits for every bucket and writes the ranks' mean into each parameter's gradient.
  void finish_backward();

  int64_t buckets() const { return static_cast<int64_t>(buckets_.size()); }
  // Seconds finish_backward spent waiting for all-reduces, summed over calls: the part of
  // the communication that backward did not hide.
  double exposed_seconds() const { return exposed_seconds_; }

 private:
  struct Bucket {
    std::vector<size_t> parameters;
    int64_t numel = 0;
    int64_t ready = 0;
    at::Tensor flat;
    RankGroup::Pending pending;
    bool started = false;
  };

  void gradient_ready(size_t parameter);
  void start(Bucket& bucket);

  std::vector<at::Tensor> parameters_;
  RankGroup& group_;
  std::vector<Bucket> buckets_;
  std::vector<size_t> bucket_of_;
  std::vector<std::shared_ptr<torch::autograd::Node>> accumulators_;
  std::vector<uintptr_t> hooks_;
  double exposed_seconds_ = 0;
};

}  // namespace vedkit
