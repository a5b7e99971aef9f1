#pragma once

#include <string>
#include <vector>

#include "datasets/autoencoder/image_tensor_set.h"
#include "vision/autoencoder/autoencoder_model.h"

// One-class anomaly detection on a labelled set (Fashion-MNIST's test split, as the literature
// runs it): the images of normal_classes are normal, the rest anomalous. Prints the image AUROC
// of each score and a JSON line (also to json_path, when given); scores_path, when given, gets
// every image's scores as CSV.
int evaluate_one_class(vedkit::AutoencoderModel& model, const vedkit::ImageTensorSet& set,
                       const std::vector<int64_t>& normal_classes, const std::string& json_path,
                       const std::string& scores_path);
