#pragma once

#include <ATen/core/Tensor.h>

#include <vector>

#include "vision/autoencoder/autoencoder_model.h"

namespace vedkit {

// Where and how much images differ from their reconstructions: per pixel, the squared error
// averaged over channels, smoothed by a Gaussian of sigma pixels (anomalib's post-processing,
// so one noisy pixel does not make an anomaly); each image's score is its map's maximum, so a
// small defect counts in full.
struct AnomalyMaps {
  at::Tensor maps;    // [N, H, W] float
  at::Tensor scores;  // [N] double
};

constexpr double kAnomalyMapSigma = 4.0;

// images [N, C, H, W], uint8 or float in [0, 1], reconstructed in batches.
AnomalyMaps anomaly_maps(AutoencoderModel& model, const at::Tensor& images,
                         double sigma = kAnomalyMapSigma, int64_t batch_size = 32);
// The same from images and their reconstructions, as the model's viewable images.
AnomalyMaps anomaly_maps_of(const at::Tensor& images, const at::Tensor& reconstructions,
                            double sigma = kAnomalyMapSigma);

// One image's anomaly map at its own size, and its score. image [C, H, W] (uint8 or float in
// [0, 1]) is seen whole at the scale the model trained at: scaled so that it covers
// trained_size [height, width] (the model's fixed input size, where it has one, instead), as
// the threshold was chosen there; the map is scaled back to H x W.
struct ImageAnomaly {
  at::Tensor map;  // [H, W] float
  double score = 0.0;
};
ImageAnomaly image_anomaly(AutoencoderModel& model, const at::Tensor& image,
                           const std::vector<int64_t>& trained_size);

// The normal images' scores' q-quantile (linear between order statistics, as numpy's
// default): the threshold above which an image is called anomalous.
double anomaly_threshold(std::vector<double> normal_scores, double quantile = 0.99);

}  // namespace vedkit
