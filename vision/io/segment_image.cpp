#include "vision/io/segment_image.h"

#include <torch/torch.h>

#include <chrono>
#include <filesystem>
#include <sstream>

#include "vision/io/image_io.h"
#include "vision/io/overlay.h"

namespace vedkit {
namespace {

std::string json_string(const std::string& text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') out += '\\';
    if (static_cast<unsigned char>(c) < 0x20) continue;
    out += c;
  }
  return out + "\"";
}

}  // namespace

std::string class_shares_json(const at::Tensor& classes, const LoadedSegmentationModel& model) {
  const auto counts = torch::bincount(classes.flatten(), {}, model.model->num_classes());
  const double pixels = static_cast<double>(classes.numel());
  std::ostringstream json;
  json << "[";
  bool first = true;
  for (int64_t k = 0; k < counts.size(0); ++k) {
    const int64_t count = counts[k].item<int64_t>();
    if (count == 0) continue;
    const std::string class_name = k < static_cast<int64_t>(model.class_names.size())
                                       ? model.class_names[k]
                                       : std::to_string(k);
    char share[32];
    std::snprintf(share, sizeof share, "%.4f", count / pixels);
    json << (first ? "" : ", ") << "{\"id\": " << k << ", \"name\": " << json_string(class_name)
         << ", \"share\": " << share << "}";
    first = false;
  }
  json << "]";
  return json.str();
}

SegmentedImage segment_image_file(LoadedSegmentationModel& model, const std::string& path,
                                  const std::string& out_dir, const std::string& name,
                                  const SegmentImageOptions& options) {
  const auto start = std::chrono::steady_clock::now();
  const cv::Mat raw = read_image_unchanged(path);
  const auto image = image_to_tensor(raw, model.model->in_channels()).unsqueeze(0);
  at::Tensor classes;
  {
    torch::InferenceMode inference;
    classes = predict_classes(*model.model, image, options.predict)[0];
  }
  const double ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();

  SegmentedImage out;
  const auto base = std::filesystem::path(out_dir) / name;
  out.mask_path = base.string() + "_mask.png";
  out.overlay_path = base.string() + "_overlay.png";
  const bool wide = model.model->num_classes() > 256;
  const auto mask = classes.to(wide ? torch::kInt : torch::kUInt8).contiguous();
  cv::Mat mask_image(static_cast<int>(mask.size(0)), static_cast<int>(mask.size(1)),
                     wide ? CV_32S : CV_8U, mask.data_ptr());
  if (wide) mask_image.convertTo(mask_image, CV_16U);
  write_png(out.mask_path, mask_image);
  write_png(out.overlay_path,
            overlay_mask(to_bgr8(raw), classes, model.class_names, options.overlay_alpha));

  std::ostringstream json;
  json << "{\"image\": " << json_string(path) << ", \"mask\": " << json_string(out.mask_path)
       << ", \"overlay\": " << json_string(out.overlay_path) << ", \"width\": " << raw.cols
       << ", \"height\": " << raw.rows << ", \"ms\": " << static_cast<int64_t>(ms)
       << ", \"classes\": " << class_shares_json(classes, model);
  json << "}";
  out.json = json.str();
  return out;
}

}  // namespace vedkit
