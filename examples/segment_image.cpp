// Segments one image with a vedkit segmentation model and writes its class-index mask:
//   segment_image MODEL.vdk IMAGE MASK.png
// then prints how much of the image each class covers.
#include <opencv2/imgcodecs.hpp>
#include <torch/torch.h>

#include <iostream>

#include "core/error.h"
#include "core/runtime.h"
#include "vision/io/image_io.h"
#include "vision/segmentation/predict.h"
#include "vision/segmentation/segmentation_model.h"

int main(int argc, char** argv) {
  if (argc != 4) {
    std::cerr << "usage: segment_image MODEL.vdk IMAGE MASK.png\n";
    return 2;
  }
  try {
    vedkit::use_all_cores();  // LibTorch starts with one thread
    auto loaded = vedkit::load_segmentation_model(argv[1]);
    const auto image = vedkit::read_image(argv[2], loaded.model->in_channels());  // [C, H, W]
    torch::InferenceMode inference;
    const auto classes = vedkit::predict_classes(*loaded.model, image.unsqueeze(0))[0];  // [H, W]
    const bool wide = loaded.class_names.size() > 256;  // a 16-bit PNG past 256 classes
    const auto mask = classes.to(wide ? torch::kInt16 : torch::kUInt8).contiguous();
    cv::imwrite(argv[3], cv::Mat(static_cast<int>(mask.size(0)), static_cast<int>(mask.size(1)),
                                 wide ? CV_16UC1 : CV_8UC1, mask.data_ptr()));
    const auto counts = torch::bincount(classes.flatten(), {}, loaded.class_names.size());
    for (size_t k = 0; k < loaded.class_names.size(); ++k) {
      const double share = counts[k].item<double>() / static_cast<double>(classes.numel());
      if (share > 0) std::cout << loaded.class_names[k] << " " << 100 * share << "%\n";
    }
  } catch (const vedkit::Error& e) {
    std::cerr << "segment_image: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
