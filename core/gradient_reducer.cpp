#include "core/gradient_reducer.h"

#include <torch/csrc/autograd/function.h>
#include <torch/csrc/autograd/utils/lambda_post_hook.h>
#include <torch/csrc/autograd/variable.h>

#include <chrono>

namespace vedkit {

GradientReducer::GradientReducer(const std::vector<at::Tensor>& parameters, RankGroup& group,
                                 double bucket_mb)
    : group_(group) {
  for (const auto& p : parameters) {
    if (p.requires_grad()) parameters_.push_back(p);
  }
  const auto bucket_bytes = static_cast<int64_t>(bucket_mb * (1 << 20));
  bucket_of_.resize(parameters_.size());
  for (size_t k = parameters_.size(); k-- > 0;) {
    const auto& p = parameters_[k];
    const int64_t bytes = p.numel() * static_cast<int64_t>(p.element_size());
    // As DDP: the first bucket small (1 MiB), so that communication starts early.
    const int64_t cap = buckets_.size() == 1 ? std::min<int64_t>(1 << 20, bucket_bytes) : bucket_bytes;
    if (buckets_.empty() ||
        (buckets_.back().numel * static_cast<int64_t>(p.element_size()) + bytes > cap &&
         buckets_.back().numel > 0) ||
        buckets_.back().flat.scalar_type() != p.scalar_type()) {
      buckets_.emplace_back();
      buckets_.back().flat = at::empty({0}, p.options());
    }
    buckets_.back().parameters.push_back(k);
    buckets_.back().numel += p.numel();
    bucket_of_[k] = buckets_.size() - 1;
  }
  for (auto& bucket : buckets_) bucket.flat = at::empty({bucket.numel}, bucket.flat.options());
  for (size_t k = 0; k < parameters_.size(); ++k) {
    // The accumulator runs once per backward, after every use's gradient is summed into .grad.
    auto accumulator = torch::autograd::impl::grad_accumulator(parameters_[k]);
    hooks_.push_back(accumulator->add_post_hook(std::make_unique<torch::autograd::utils::LambdaPostHook>(
        [this, k](const torch::autograd::variable_list& outputs, const torch::autograd::variable_list&) {
          gradient_ready(k);
          return outputs;
        })));
    accumulators_.push_back(std::move(accumulator));
  }
}

GradientReducer::~GradientReducer() {
  for (size_t k = 0; k < accumulators_.size(); ++k) accumulators_[k]->del_post_hook(hooks_[k]);
}

void GradientReducer::gradient_ready(size_t parameter) {
  Bucket& bucket = buckets_[bucket_of_[parameter]];
  if (++bucket.ready == static_cast<int64_t>(bucket.parameters.size())) start(bucket);
}

void GradientReducer::start(Bucket& bucket) {
  int64_t offset = 0;
  for (const size_t k : bucket.parameters) {
    const auto& p = parameters_[k];
    auto slice = bucket.flat.narrow(0, offset, p.numel());
    if (p.grad().defined()) {
      slice.copy_(p.grad().reshape({-1}));
    } else {
      slice.zero_();
    }
    offset += p.numel();
  }
  bucket.started = true;
  bucket.pending = group_.start_all_reduce_sum(bucket.flat);
}

void GradientReducer::finish_backward() {
  for (auto& bucket : buckets_) {
    if (!bucket.started) start(bucket);
  }
  const auto waiting = std::chrono::steady_clock::now();
  for (auto& bucket : buckets_) bucket.pending.finish();
  exposed_seconds_ +=
      std::chrono::duration<double>(std::chrono::steady_clock::now() - waiting).count();
  const double ranks = static_cast<double>(group_.size());
  for (auto& bucket : buckets_) {
    bucket.flat.div_(ranks);
    int64_t offset = 0;
    for (const size_t k : bucket.parameters) {
      auto& p = parameters_[k];
      const auto mean = bucket.flat.narrow(0, offset, p.numel()).view(p.sizes());
      if (p.grad().defined()) {
        p.mutable_grad().copy_(mean);
      } else {
        p.mutable_grad() = mean.clone();
      }
      offset += p.numel();
    }
    bucket.ready = 0;
    bucket.started = false;
  }
}

}  // namespace vedkit
