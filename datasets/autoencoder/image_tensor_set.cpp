#include "datasets/autoencoder/image_tensor_set.h"

#include <ATen/Parallel.h>
#include <torch/nn/functional/upsampling.h>
#include <torch/types.h>

#include <filesystem>
#include <opencv2/videoio.hpp>
#include <fstream>
#include <set>

#include "core/error.h"
#include "datasets/fashion_mnist.h"
#include "datasets/image_files.h"
#include "vision/io/image_io.h"
#include "vision/io/quiet_opencv.h"

namespace vedkit {
std::set<std::string> read_name_list(const std::string& list_file, const std::string& key) {
  std::ifstream in(list_file);
  if (!in) throw DataError(list_file + ": cannot read the image list (" + key + ")");
  std::set<std::string> names;
  for (std::string line; std::getline(in, line);) {
    while (!line.empty() && std::isspace(static_cast<unsigned char>(line.back()))) line.pop_back();
    if (!line.empty()) names.insert(line);
  }
  return names;
}

ImageTensorSet load_image_files(const std::vector<std::string>& paths, int64_t channels,
                                int64_t height, int64_t width) {
  std::vector<at::Tensor> decoded(paths.size());
  std::vector<std::string> errors(paths.size());
  at::parallel_for(0, static_cast<int64_t>(paths.size()), 8, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      try {
        decoded[i] = read_image_covering(paths[i], channels, height, width).mul(255).round().to(torch::kUInt8);
      } catch (const std::exception& e) {
        errors[i] = e.what();
      }
    }
  });
  ImageTensorSet set;
  std::vector<at::Tensor> good;
  for (size_t i = 0; i < paths.size(); ++i) {
    if (decoded[i].defined()) {
      good.push_back(decoded[i]);
      set.paths.push_back(paths[i]);
    } else {
      set.skipped.push_back(errors[i]);
    }
  }
  if (!good.empty()) set.images = torch::stack(good);
  return set;
}

ImageTensorSet load_video_frames(const std::string& path, int64_t first, int64_t end,
                                 int64_t step, int64_t channels, int64_t height, int64_t width) {
  if (!std::filesystem::is_regular_file(path)) throw DataError(path + ": no such video file");
  cv::VideoCapture video;
  if (!open_quietly([&] { return video.open(path); })) {
    throw DataError(path + ": cannot be read as a video (corrupt, or a format this OpenCV build "
                           "does not decode)");
  }
  std::vector<at::Tensor> frames;
  cv::Mat frame;
  int64_t index = 0;
  for (; (end < 0 || index < end) && video.read(frame) && !frame.empty(); ++index) {
    if (index < first || (index - first) % step != 0) continue;
    frames.push_back(
        image_to_tensor(resize_covering(to_bgr8(frame), height, width), channels).mul(255).round().to(torch::kUInt8));
  }
  if (frames.empty()) {
    throw DataError(path + ": no frame in data.frames [" + std::to_string(first) + ", " +
                    std::to_string(end) + ") of its " + std::to_string(index) + " frames");
  }
  ImageTensorSet set;
  set.images = torch::stack(frames);
  return set;
}

ImageTensorSet load_image_folder(const std::string& root, const std::string& list_file,
                                 int64_t channels, int64_t height, int64_t width) {
  auto paths = list_images(root);
  if (!list_file.empty()) {
    const auto names = read_name_list(list_file, "data.list");
    std::vector<std::string> listed;
    for (const auto& path : paths) {
      const std::filesystem::path p(path);
      if (names.count(std::filesystem::relative(p, root).string()) || names.count(p.stem().string())) {
        listed.push_back(path);
      }
    }
    paths = std::move(listed);
  }
  if (paths.empty()) {
    throw DataError(root + ": no images (PNG, JPEG, BMP, TIFF, WebP)" +
                    (list_file.empty() ? std::string() : " named in " + list_file) +
                    "; point data.root at a folder of images");
  }
  auto set = load_image_files(paths, channels, height, width);
  if (!set.images.defined()) {
    throw DataError(root + ": none of its " + std::to_string(paths.size()) +
                    " image files could be read (first: " + set.skipped.front() + ")");
  }
  return set;
}

ImageTensorSet load_fashion_mnist_images(const std::string& dir, const std::string& split,
                                         int64_t channels, int64_t height, int64_t width,
                                         const std::vector<int64_t>& classes) {
  ImageTensorSet set;
  const auto mnist = load_fashion_mnist(dir, split);
  auto images = mnist.images.unsqueeze(1);  // [N, 1, 28, 28]
  set.labels = mnist.labels;
  if (!classes.empty()) {
    const auto kept = torch::isin(set.labels, torch::tensor(classes, torch::kLong)).nonzero().squeeze(1);
    images = images.index_select(0, kept);
    set.labels = set.labels.index_select(0, kept);
  }
  if (height != images.size(2) || width != images.size(3)) {
    images = torch::nn::functional::interpolate(
                 images.to(torch::kFloat),
                 torch::nn::functional::InterpolateFuncOptions().size(std::vector<int64_t>{height, width})
                     .mode(torch::kBilinear).align_corners(false))
                 .round().clamp(0, 255).to(torch::kUInt8);
  }
  set.images = images.repeat({1, channels, 1, 1}).contiguous();
  return set;
}

}  // namespace vedkit
