#include "vision/layers/sync_batch_norm.h"

#include <torch/autograd.h>

namespace vedkit {
namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

at::Tensor per_channel(const at::Tensor& t) { return t.view({1, -1, 1, 1}); }

// Sums over batch and space of each channel, in double, then over the ranks: [sums(a); sums(b)].
at::Tensor all_reduced_sums(const at::Tensor& a, const at::Tensor& b, RankGroup& group) {
  std::vector<at::Tensor> sums{at::cat({a.sum({0, 2, 3}, false, at::kDouble),
                                        b.sum({0, 2, 3}, false, at::kDouble)})};
  group.all_reduce_sum(sums);
  return sums[0];
}

struct SyncBatchNormFunction : public torch::autograd::Function<SyncBatchNormFunction> {
  static at::Tensor forward(AutogradContext* ctx, const at::Tensor& x, const at::Tensor& weight,
                            const at::Tensor& bias, at::Tensor running_mean, at::Tensor running_var,
                            double eps, double momentum, RankGroup* group) {
    const int64_t channels = x.size(1);
    std::vector<at::Tensor> count{at::full({1}, static_cast<double>(x.numel() / channels), at::kDouble)};
    group->all_reduce_sum(count);
    const double n = count[0].item<double>();
    const auto sums = all_reduced_sums(x, x.square(), *group);
    const auto mean = sums.narrow(0, 0, channels) / n;
    const auto variance = (sums.narrow(0, channels, channels) / n - mean.square()).clamp_min(0);
    const auto invstd = (variance + eps).rsqrt().to(x.scalar_type());
    const auto mean_x = mean.to(x.scalar_type());
    {
      torch::NoGradGuard no_grad;
      running_mean.mul_(1 - momentum).add_(mean.to(running_mean.scalar_type()), momentum);
      const auto unbiased = variance * (n / std::max(1.0, n - 1));
      running_var.mul_(1 - momentum).add_(unbiased.to(running_var.scalar_type()), momentum);
    }
    ctx->save_for_backward({x, weight, mean_x, invstd});
    ctx->saved_data["n"] = n;
    ctx->saved_data["group"] = reinterpret_cast<int64_t>(group);
    return (x - per_channel(mean_x)) * per_channel(invstd * weight) + per_channel(bias);
  }

  static variable_list backward(AutogradContext* ctx, variable_list grad_outputs) {
    const auto saved = ctx->get_saved_variables();
    const auto& x = saved[0];
    const auto& weight = saved[1];
    const auto& invstd = saved[3];
    const double n = ctx->saved_data["n"].toDouble();
    auto* group = reinterpret_cast<RankGroup*>(ctx->saved_data["group"].toInt());
    const auto& dy = grad_outputs[0];
    const int64_t channels = x.size(1);
    const auto normalized = (x - per_channel(saved[2])) * per_channel(invstd);
    const auto grad_bias = dy.sum({0, 2, 3});
    const auto grad_weight = (dy * normalized).sum({0, 2, 3});
    // dx = weight * invstd * (dy - mean(dy) - normalized * mean(dy * normalized)), the means
    // over every rank's batch.
    const auto sums = all_reduced_sums(dy, dy * normalized, *group).to(x.scalar_type());
    const auto mean_dy = sums.narrow(0, 0, channels) / n;
    const auto mean_dy_normalized = sums.narrow(0, channels, channels) / n;
    const auto dx = per_channel(weight * invstd) *
                    (dy - per_channel(mean_dy) - normalized * per_channel(mean_dy_normalized));
    return {dx, grad_weight, grad_bias, at::Tensor(), at::Tensor(), at::Tensor(), at::Tensor(),
            at::Tensor()};
  }
};

}  // namespace

torch::Tensor sync_batch_norm(const torch::Tensor& x, torch::nn::BatchNorm2dImpl& bn,
                              RankGroup& group) {
  if (bn.options.track_running_stats()) bn.num_batches_tracked += 1;
  return SyncBatchNormFunction::apply(x, bn.weight, bn.bias, bn.running_mean, bn.running_var,
                                      bn.options.eps(), bn.options.momentum().value(), &group);
}

}  // namespace vedkit
