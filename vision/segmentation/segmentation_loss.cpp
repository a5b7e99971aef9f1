#include "vision/segmentation/segmentation_loss.h"

#include <torch/nn/functional/loss.h>

namespace vedkit {
namespace {

namespace F = torch::nn::functional;

// The target with ignored pixels set to class 0, and a [B, 1, H, W] mask of labelled pixels.
std::pair<at::Tensor, at::Tensor> labelled(const at::Tensor& target, int64_t ignore_index) {
  const auto valid = target != ignore_index;
  return {target.masked_fill(~valid, 0), valid.unsqueeze(1)};
}

// [B, H, W, K] one-hot of the target's classes, all zero at ignored pixels.
at::Tensor labelled_one_hot(const at::Tensor& target, int64_t num_classes, int64_t ignore_index,
                            at::ScalarType type) {
  const auto [classes, valid] = labelled(target, ignore_index);
  return (F::one_hot(classes, num_classes) * valid.permute({0, 2, 3, 1})).to(type);
}

}  // namespace

SegmentationLossOptions read_segmentation_loss_options(ConfigSection train, int64_t num_classes) {
  SegmentationLossOptions options;
  options.ignore_index = train.get_int("ignore_index", options.ignore_index, {-1, 65535});
  auto sections = train.sections("losses");
  if (sections.empty()) return options;
  options.terms.clear();
  for (auto& section : sections) {
    SegmentationLossTerm term;
    term.type = section.get_string("type", std::nullopt,
                                   {"cross_entropy", "dice", "focal", "region_cross_entropy"});
    term.weight = section.get_real("weight", 1.0, {0.0, 1e6});
    if (term.type == "cross_entropy") {
      term.class_weights = section.get_reals("class_weights", std::vector<double>{}, {0.0, 1e6});
      if (!term.class_weights.empty() &&
          static_cast<int64_t>(term.class_weights.size()) != num_classes) {
        section.fail("class_weights", "expected " + std::to_string(num_classes) +
                                          " values, one per class");
      }
      term.label_smoothing = section.get_real("label_smoothing", 0.0, {0.0, 1.0});
    } else if (term.type == "focal") {
      term.gamma = section.get_real("gamma", term.gamma, {0.0, 10.0});
    }
    options.terms.push_back(term);
  }
  return options;
}

at::Tensor weighted_cross_entropy(const at::Tensor& logits, const at::Tensor& target,
                              const SegmentationLossTerm& term, int64_t ignore_index) {
  auto options = F::CrossEntropyFuncOptions().ignore_index(ignore_index).label_smoothing(term.label_smoothing);
  if (!term.class_weights.empty()) {
    options.weight(torch::tensor(term.class_weights, logits.options()));
  }
  return F::cross_entropy(logits, target, options);
}

at::Tensor soft_dice_loss(const at::Tensor& logits, const at::Tensor& target, int64_t ignore_index) {
  const auto mask = labelled(target, ignore_index).second.to(logits.scalar_type());
  const auto probabilities = logits.softmax(1) * mask;                          // [B, K, H, W]
  const auto one_hot = labelled_one_hot(target, logits.size(1), ignore_index, logits.scalar_type())
                           .permute({0, 3, 1, 2});
  const std::vector<int64_t> dims = {0, 2, 3};
  const auto intersection = (probabilities * one_hot).sum(dims);               // [K]
  const auto cardinality = (probabilities + one_hot).sum(dims);
  const auto dice = (2 * intersection + 1e-6) / (cardinality + 1e-6);
  const auto present = (one_hot.sum(dims) > 0).to(logits.scalar_type());
  return ((1 - dice) * present).sum() / present.sum().clamp_min(1);
}

at::Tensor focal_loss(const at::Tensor& logits, const at::Tensor& target, double gamma,
                      int64_t ignore_index) {
  const auto [classes, valid] = labelled(target, ignore_index);
  const auto log_p = logits.log_softmax(1).gather(1, classes.unsqueeze(1));    // [B, 1, H, W]
  const auto loss = -(1 - log_p.exp()).pow(gamma) * log_p;
  const auto mask = valid.to(logits.scalar_type());
  return (loss * mask).sum() / mask.sum().clamp_min(1);
}

at::Tensor region_cross_entropy(const at::Tensor& logits, const at::Tensor& target,
                                int64_t ignore_index) {
  const int64_t num_classes = logits.size(1);
  const auto members = labelled_one_hot(target, num_classes, ignore_index, logits.scalar_type())
                           .flatten(1, 2);                                         // [B, HW, R]
  const auto sums = logits.flatten(2).bmm(members).transpose(1, 2);                 // [B, R, K]
  const auto counts = members.sum(1);                                                // [B, R]
  const auto present = (counts > 0).flatten();
  const auto pooled = (sums / counts.clamp_min(1).unsqueeze(-1)).flatten(0, 1).index({present});
  const auto region_class = torch::arange(num_classes, target.options()).repeat(logits.size(0));
  const auto summed = F::cross_entropy(pooled, region_class.index({present}),
                                       F::CrossEntropyFuncOptions().reduction(torch::kSum));
  return summed / present.sum().clamp_min(1);
}

at::Tensor segmentation_loss(const at::Tensor& logits, const at::Tensor& target,
                             const SegmentationLossOptions& options) {
  at::Tensor total = torch::zeros({}, logits.options());
  for (const auto& term : options.terms) {
    at::Tensor value;
    if (term.type == "cross_entropy") {
      value = weighted_cross_entropy(logits, target, term, options.ignore_index);
    } else if (term.type == "dice") {
      value = soft_dice_loss(logits, target, options.ignore_index);
    } else if (term.type == "region_cross_entropy") {
      value = region_cross_entropy(logits, target, options.ignore_index);
    } else {
      value = focal_loss(logits, target, term.gamma, options.ignore_index);
    }
    total = total + term.weight * value;
  }
  return total;
}

}  // namespace vedkit
