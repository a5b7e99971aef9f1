#include "vision/autoencoder/reconstruction_loss.h"

#include <ATen/ATen.h>

#include "vision/metrics/image_quality.h"

namespace vedkit {
namespace {

at::Tensor masked_mean(const at::Tensor& error, const at::Tensor& where) {
  if (!where.defined()) return error.mean();
  const auto weights = where.expand_as(error);
  return (error * weights).sum() / weights.sum().clamp_min(1);
}

}  // namespace

std::vector<ReconstructionLossTerm> read_reconstruction_loss_terms(ConfigSection train) {
  std::vector<ReconstructionLossTerm> terms;
  for (auto section : train.sections("losses")) {
    ReconstructionLossTerm term;
    term.type = section.get_string("type", std::nullopt, {"mse", "l1", "ssim"});
    term.weight = section.get_real("weight", 1.0, {0, 1e6});
    terms.push_back(term);
  }
  if (terms.empty()) terms.push_back({});
  return terms;
}

at::Tensor reconstruction_loss(const at::Tensor& reconstruction, const at::Tensor& target,
                               const std::vector<ReconstructionLossTerm>& terms,
                               const at::Tensor& where) {
  auto total = at::zeros({}, reconstruction.options());
  for (const auto& term : terms) {
    at::Tensor value;
    if (term.type == "mse") value = masked_mean((reconstruction - target).square(), where);
    if (term.type == "l1") value = masked_mean((reconstruction - target).abs(), where);
    if (term.type == "ssim") value = 1 - ssim(reconstruction, target, 1.0).mean();
    total = total + term.weight * value;
  }
  return total;
}

at::Tensor kl_divergence(const Latent& latent, int64_t values_per_image) {
  const auto& mu = latent.mean;
  const auto& log_var = latent.log_var;
  const auto per_image = -0.5 * (1 + log_var - mu.square() - log_var.exp()).flatten(1).sum(1);
  return per_image.mean() / static_cast<double>(values_per_image);
}

}  // namespace vedkit
