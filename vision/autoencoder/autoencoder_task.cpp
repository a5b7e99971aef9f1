#include "vision/autoencoder/autoencoder_task.h"

#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

#include <cstdio>
#include <sstream>

#include "core/distributed.h"
#include "vision/autoencoder/anomaly_map.h"
#include "vision/autoencoder/corruption.h"
#include "vision/metrics/image_quality.h"

namespace vedkit {

namespace {

// Every rank's scores, as text that keeps every bit of each double.
std::vector<double> gathered(const std::vector<double>& mine, RankGroup& group) {
  std::string text;
  for (const double score : mine) {
    char line[32];
    std::snprintf(line, sizeof line, "%.17g\n", score);
    text += line;
  }
  std::vector<double> all;
  for (const auto& part : group.all_gather(text)) {
    std::istringstream lines(part);
    for (double score; lines >> score;) all.push_back(score);
  }
  return all;
}

}  // namespace

AutoencoderTask::AutoencoderTask(AutoencoderModel model, AutoencoderData& data,
                                 std::vector<ReconstructionLossTerm> losses, c10::Device device,
                                 uint64_t seed)
    : model_(std::move(model)),
      data_(data),
      losses_(std::move(losses)),
      device_(device),
      seed_(seed),
      train_generator_(at::make_generator<at::CPUGeneratorImpl>(seed)) {
  model_->to(device_);
}

AutoencoderOutput AutoencoderTask::run(const at::Tensor& images, at::Generator generator,
                                       CorruptedInput& input) {
  input = corrupt(images, model_->mode(), generator);
  return model_->forward(input.images, input.hidden);
}

at::Tensor AutoencoderTask::train_step(std::map<std::string, double>& logs) {
  const auto images = data_.next_train_batch().to(device_);
  CorruptedInput input;
  const auto out = run(images, train_generator_, input);
  auto loss = reconstruction_loss(out.reconstruction, model_->target(images), losses_, input.hidden);
  if (model_->mode().mode == "variational") {
    const auto kl = kl_divergence(out.latent, images[0].numel());
    logs["kl"] = kl.item<double>();
    loss = loss + model_->mode().beta * kl;
  }
  return loss;
}

std::vector<std::pair<std::string, double>> AutoencoderTask::validate() {
  torch::NoGradGuard no_grad;
  double loss_sum = 0, psnr_sum = 0, ssim_sum = 0;
  int64_t images_seen = 0;
  std::vector<double> normal_scores;  // the held-out images' anomaly scores
  // Each rank scores its share of the batches; the sums are summed over the ranks.
  for (const int64_t i : current_shard().val_batches(data_.val_batches())) {
    const auto images = data_.val_batch(i).to(device_);
    CorruptedInput input;
    const auto out = run(images, at::make_generator<at::CPUGeneratorImpl>(seed_ + i), input);
    const auto target = model_->target(images);
    loss_sum += reconstruction_loss(out.reconstruction, target, losses_, input.hidden).item<double>() * images.size(0);
    const auto shown = model_->viewable(out.reconstruction), wanted = model_->viewable(target);
    psnr_sum += psnr(shown, wanted, 1.0).sum().item<double>();
    ssim_sum += ssim(shown, wanted, 1.0).sum().item<double>();
    const auto anomaly = anomaly_maps_of(wanted, shown).scores.contiguous();
    normal_scores.insert(normal_scores.end(), anomaly.data_ptr<double>(),
                         anomaly.data_ptr<double>() + anomaly.numel());
    images_seen += images.size(0);
  }
  if (RankGroup* group = current_group()) normal_scores = gathered(normal_scores, *group);
  threshold_ = normal_scores.empty() ? std::nan("") : vedkit::anomaly_threshold(normal_scores);
  if (RankGroup* group = current_group()) {
    std::vector<at::Tensor> sums{at::tensor({loss_sum, psnr_sum, ssim_sum, static_cast<double>(images_seen)}, at::kDouble)};
    group->all_reduce_sum(sums);
    const auto* total = sums[0].data_ptr<double>();
    loss_sum = total[0], psnr_sum = total[1], ssim_sum = total[2];
    images_seen = static_cast<int64_t>(total[3]);
  }
  const double n = std::max<int64_t>(1, images_seen);
  return {{"val_loss", loss_sum / n}, {"PSNR", psnr_sum / n}, {"SSIM", ssim_sum / n}};
}

void AutoencoderTask::save_preview(const std::string& path_stem) {
  if (data_.val_batches() == 0) return;
  torch::NoGradGuard no_grad;
  auto images = data_.val_batch(0);
  images = images.narrow(0, 0, std::min<int64_t>(8, images.size(0))).to(device_);
  CorruptedInput input;
  const auto out = run(images, at::make_generator<at::CPUGeneratorImpl>(seed_), input);
  auto shown = input.images;
  if (input.hidden.defined()) shown = shown * (1 - input.hidden);  // hidden patches black
  data_.write_preview(path_stem + ".png", shown.to(torch::kCPU),
                      model_->viewable(out.reconstruction).to(torch::kCPU));
}

}  // namespace vedkit
