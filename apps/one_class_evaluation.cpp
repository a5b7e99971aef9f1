#include "apps/one_class_evaluation.h"

#include <ATen/ATen.h>
#include <c10/core/InferenceMode.h>

#include <algorithm>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <sstream>

#include "datasets/fashion_mnist.h"
#include "vision/autoencoder/anomaly_map.h"
#include "vision/autoencoder/reconstruction_scores.h"
#include "vision/layers/gaussian_blur.h"
#include "vision/metrics/auroc.h"
#include "vision/metrics/nearest_neighbours.h"

namespace {

// Both nearest-neighbour scores average the distances to the 5 nearest training images.
constexpr int64_t kNeighbours = 5;
// Smoothing before comparing pixels, so a garment shifted by a pixel stays near its neighbours.
constexpr double kPixelNeighbourSigma = 1.0;

// Latent vectors [N, D] of uint8 images [N, C, H, W], encoded in batches.
at::Tensor latents_of(vedkit::AutoencoderModel& model, const at::Tensor& images) {
  c10::InferenceMode inference;
  std::vector<at::Tensor> parts;
  for (int64_t start = 0; start < images.size(0); start += 256) {
    const auto batch = images.narrow(0, start, std::min<int64_t>(256, images.size(0) - start));
    parts.push_back(model->encode(batch.to(at::kFloat) / 255).flatten(1));
  }
  return at::cat(parts);
}

// uint8 images [N, C, H, W] smoothed and flattened to [N, C * H * W] in [0, 1].
at::Tensor smoothed_pixels(const at::Tensor& images) {
  return vedkit::gaussian_blur(images.to(at::kFloat) / 255, kPixelNeighbourSigma,
                               vedkit::BlurBorder::replicate)
      .flatten(1);
}

std::vector<double> as_vector(const at::Tensor& t) {
  const auto values = t.to(at::kDouble).contiguous();
  return std::vector<double>(values.data_ptr<double>(), values.data_ptr<double>() + values.numel());
}

}  // namespace

int evaluate_one_class(vedkit::AutoencoderModel& model, const vedkit::ImageTensorSet& set,
                       const std::vector<int64_t>& normal_classes, const std::string& json_path,
                       const std::string& scores_path) {
  const auto normal = at::isin(set.labels, at::tensor(normal_classes, at::kLong));
  std::vector<bool> anomalous;
  for (int64_t i = 0; i < normal.size(0); ++i) anomalous.push_back(!normal[i].item<bool>());
  const auto train = vedkit::load_fashion_mnist_images(vedkit::kDefaultFashionMnistDir, "train",
                                                       model->in_channels(), set.images.size(2),
                                                       set.images.size(3), normal_classes);

  const auto reconstruction = vedkit::score_reconstructions(model, set.images);
  // Per image, in the order of the CSV's columns.
  const std::vector<std::vector<double>> columns = {
      as_vector(vedkit::anomaly_maps(model, set.images).scores), as_vector(reconstruction.mse),
      as_vector(1 - reconstruction.ssim),
      as_vector(vedkit::mean_distance_to_nearest(latents_of(model, set.images),
                                                 latents_of(model, train.images), kNeighbours)),
      as_vector(vedkit::mean_distance_to_nearest(smoothed_pixels(set.images),
                                                 smoothed_pixels(train.images), kNeighbours))};
  const double by_map = vedkit::auroc(columns[0], anomalous);
  const double by_mse = vedkit::auroc(columns[1], anomalous);
  const double by_ssim = vedkit::auroc(columns[2], anomalous);
  const double by_latent = vedkit::auroc(columns[3], anomalous);
  const double by_pixels = vedkit::auroc(columns[4], anomalous);
  std::ostringstream json;
  json << std::setprecision(6) << "{\"images\": " << anomalous.size()
       << ", \"image_auroc\": " << by_map << ", \"image_auroc_mse\": " << by_mse
       << ", \"image_auroc_ssim\": " << by_ssim << ", \"image_auroc_latent_knn\": " << by_latent
       << ", \"image_auroc_pixel_knn\": " << by_pixels << "}";
  std::cout << std::fixed << std::setprecision(4) << "image AUROC (anomaly map maximum)           "
            << by_map << "\nimage AUROC (mean squared error)            " << by_mse
            << "\nimage AUROC (1 - SSIM)                      " << by_ssim
            << "\nimage AUROC (latent 5-NN distance)          " << by_latent
            << "\nimage AUROC (smoothed-pixel 5-NN distance)  " << by_pixels << "\n"
            << json.str() << "\n";
  if (!json_path.empty()) std::ofstream(json_path) << json.str() << "\n";
  if (!scores_path.empty()) {
    std::ofstream csv(scores_path);
    csv << "index,label,anomalous,map_maximum,mse,one_minus_ssim,latent_knn,pixel_knn\n"
        << std::setprecision(9);
    const auto labels = set.labels.to(at::kLong).contiguous();
    for (size_t i = 0; i < anomalous.size(); ++i) {
      csv << i << "," << labels.data_ptr<int64_t>()[i] << "," << anomalous[i];
      for (const auto& column : columns) csv << "," << column[i];
      csv << "\n";
    }
  }
  return 0;
}
