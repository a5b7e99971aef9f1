#include "vision/autoencoder/reconstruction_scores.h"

#include <torch/torch.h>

#include <iomanip>
#include <sstream>

#include "vision/metrics/image_quality.h"

namespace vedkit {

ReconstructionScores score_reconstructions(AutoencoderModel& model, const at::Tensor& images,
                                           int64_t batch_size) {
  torch::InferenceMode inference;
  std::vector<at::Tensor> mse, peak, structure;
  for (int64_t start = 0; start < images.size(0); start += batch_size) {
    auto batch = images.narrow(0, start, std::min(batch_size, images.size(0) - start)).to(torch::kFloat);
    if (images.scalar_type() == torch::kUInt8) batch = batch / 255;
    const auto reconstruction = model->viewable(model->forward(batch).reconstruction);
    const auto target = model->viewable(model->target(batch));
    mse.push_back((reconstruction - target).square().flatten(1).mean(1));
    peak.push_back(psnr(reconstruction, target, 1.0));
    structure.push_back(ssim(reconstruction, target, 1.0));
  }
  return {torch::cat(mse), torch::cat(peak), torch::cat(structure)};
}

std::string format_reconstruction_table(const ReconstructionScores& scores) {
  std::ostringstream out;
  out << std::fixed << std::setprecision(4) << "images  " << scores.mse.size(0) << "\n"
      << "MSE     " << scores.mse.mean().item<double>() << "\n"
      << "PSNR    " << scores.psnr.mean().item<double>() << " dB\n"
      << "SSIM    " << scores.ssim.mean().item<double>() << "\n";
  return out.str();
}

std::string format_reconstruction_json(const ReconstructionScores& scores) {
  std::ostringstream out;
  out << std::setprecision(6) << "{\"images\": " << scores.mse.size(0)
      << ", \"mse\": " << scores.mse.mean().item<double>()
      << ", \"psnr\": " << scores.psnr.mean().item<double>()
      << ", \"ssim\": " << scores.ssim.mean().item<double>() << "}";
  return out.str();
}

at::Tensor interpolate_between(AutoencoderModel& model, const at::Tensor& a, const at::Tensor& b,
                               int64_t steps) {
  torch::InferenceMode inference;
  const auto from = model->encode(a), to = model->encode(b);
  const auto weights = torch::linspace(0, 1, steps + 2);
  std::vector<at::Tensor> latents;
  for (int64_t i = 0; i < steps + 2; ++i) {
    const double t = weights[i].item<double>();
    latents.push_back((1 - t) * from + t * to);
  }
  return model->viewable(model->decode(torch::cat(latents), a.size(2), a.size(3)));
}

}  // namespace vedkit
