#include "vision/metrics/confusion_matrix.h"

#include <cmath>
#include <cstdio>
#include <sstream>

namespace vedkit {
namespace {

double nan_mean(const std::vector<double>& values) {
  double sum = 0;
  int64_t count = 0;
  for (double v : values) {
    if (std::isnan(v)) continue;
    sum += v;
    ++count;
  }
  return count ? sum / count : std::nan("");
}

std::string json_number(double value) {
  if (std::isnan(value)) return "null";
  char text[32];
  std::snprintf(text, sizeof text, "%.6f", value);
  return text;
}

std::string class_name(const std::vector<std::string>& names, size_t index) {
  return index < names.size() ? names[index] : std::to_string(index);
}

}  // namespace

ConfusionMatrix::ConfusionMatrix(int64_t num_classes, int64_t ignore_index)
    : num_classes_(num_classes), ignore_index_(ignore_index) {
  reset();
}

void ConfusionMatrix::reset() { counts_ = torch::zeros({num_classes_, num_classes_}, torch::kLong); }

void ConfusionMatrix::add(const at::Tensor& prediction, const at::Tensor& target) {
  TORCH_CHECK(prediction.sizes() == target.sizes(), "prediction ", prediction.sizes(),
              " and target ", target.sizes(), " differ in shape");
  const auto truth = target.flatten().to(torch::kCPU, torch::kLong);
  const auto predicted = prediction.flatten().to(torch::kCPU, torch::kLong);
  const auto keep = (truth != ignore_index_) & (truth >= 0) & (truth < num_classes_);
  const auto cells = truth.masked_select(keep) * num_classes_ + predicted.masked_select(keep);
  counts_ += torch::bincount(cells, {}, num_classes_ * num_classes_).reshape({num_classes_, num_classes_});
}

SegmentationScores ConfusionMatrix::scores() const {
  SegmentationScores scores;
  const auto counts = counts_.to(torch::kDouble);
  const auto correct = counts.diagonal();
  const auto truth = counts.sum(1);
  const auto predicted = counts.sum(0);
  for (int64_t k = 0; k < num_classes_; ++k) {
    const double tp = correct[k].item<double>();
    const double gt = truth[k].item<double>();
    const double pred = predicted[k].item<double>();
    const double union_ = gt + pred - tp;
    scores.iou.push_back(union_ > 0 ? tp / union_ : std::nan(""));
    scores.dice.push_back(gt + pred > 0 ? 2 * tp / (gt + pred) : std::nan(""));
    scores.accuracy.push_back(gt > 0 ? tp / gt : std::nan(""));
  }
  scores.mean_iou = nan_mean(scores.iou);
  scores.mean_dice = nan_mean(scores.dice);
  scores.mean_accuracy = nan_mean(scores.accuracy);
  const double labelled = truth.sum().item<double>();
  scores.pixel_accuracy = labelled > 0 ? correct.sum().item<double>() / labelled : std::nan("");
  return scores;
}

std::string format_scores_table(const SegmentationScores& scores,
                                const std::vector<std::string>& class_names) {
  std::ostringstream out;
  char line[128];
  std::snprintf(line, sizeof line, "%-16s %8s %8s %8s\n", "Class", "IoU", "Dice", "Acc");
  out << line;
  auto percent = [](double v) { return std::isnan(v) ? std::string("nan") : std::to_string(100 * v).substr(0, 5); };
  for (size_t k = 0; k < scores.iou.size(); ++k) {
    std::snprintf(line, sizeof line, "%-16s %8s %8s %8s\n", class_name(class_names, k).c_str(),
                  percent(scores.iou[k]).c_str(), percent(scores.dice[k]).c_str(),
                  percent(scores.accuracy[k]).c_str());
    out << line;
  }
  std::snprintf(line, sizeof line, "aAcc %s  mIoU %s  mDice %s  mAcc %s\n",
                percent(scores.pixel_accuracy).c_str(), percent(scores.mean_iou).c_str(),
                percent(scores.mean_dice).c_str(), percent(scores.mean_accuracy).c_str());
  out << line;
  return out.str();
}

std::string format_scores_json(const SegmentationScores& scores,
                               const std::vector<std::string>& class_names) {
  std::ostringstream out;
  out << "{\"aAcc\": " << json_number(scores.pixel_accuracy)
      << ", \"mIoU\": " << json_number(scores.mean_iou)
      << ", \"mDice\": " << json_number(scores.mean_dice)
      << ", \"mAcc\": " << json_number(scores.mean_accuracy) << ", \"classes\": [";
  for (size_t k = 0; k < scores.iou.size(); ++k) {
    out << (k ? ", " : "") << "{\"name\": \"" << class_name(class_names, k)
        << "\", \"IoU\": " << json_number(scores.iou[k])
        << ", \"Dice\": " << json_number(scores.dice[k])
        << ", \"Acc\": " << json_number(scores.accuracy[k]) << "}";
  }
  out << "]}";
  return out.str();
}

}  // namespace vedkit
