#include "apps/caption_drawing.h"

#include <torch/torch.h>

#include <cctype>
#include <cstdio>
#include <opencv2/imgproc.hpp>
#include <sstream>
#include <vector>

#include "apps/text_band.h"
#include "vision/io/image_io.h"

namespace vedkit {
namespace {

// Letters, digits and hyphens; anything else becomes '_'.
std::string file_name_part(const std::string& word) {
  std::string out = word;
  for (char& c : out) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-') c = '_';
  }
  return out;
}

}  // namespace

cv::Mat attention_image(const cv::Mat& frame, const cv::Rect& region, const at::Tensor& attention,
                        const std::string& word) {
  cv::Mat out = to_bgr8(frame).clone();
  auto weights = attention.to(torch::kCPU, torch::kFloat).contiguous();
  weights = (weights / weights.max().clamp_min(1e-12)).contiguous();
  const cv::Mat grid(static_cast<int>(weights.size(0)), static_cast<int>(weights.size(1)), CV_32F,
                     weights.data_ptr<float>());
  cv::Mat upsampled, heat;
  cv::resize(grid, upsampled, region.size(), 0, 0, cv::INTER_CUBIC);  // cubic overshoots:
  upsampled.convertTo(upsampled, CV_8U, 255.0);                       // the cast saturates
  cv::applyColorMap(upsampled, heat, cv::COLORMAP_JET);
  cv::Mat seen = out(region);
  cv::addWeighted(seen, 0.5, heat, 0.5, 0.0, seen);
  if (region.size() != out.size()) cv::rectangle(out, region, cv::Scalar(255, 255, 255), 1);
  draw_text_band(out, word, true);
  return out;
}

int write_attention_maps(const std::string& dir, const std::string& name, const cv::Mat& frame,
                         const FrameCaption& caption) {
  if (!caption.attention.defined()) return 0;
  for (size_t k = 0; k < caption.words.size(); ++k) {
    char number[24];
    std::snprintf(number, sizeof(number), "%02zu", k + 1);
    write_png(dir + "/" + name + "_" + number + "_" + file_name_part(caption.words[k]) + ".png",
              attention_image(frame, caption.region, caption.attention[static_cast<int64_t>(k)],
                              caption.words[k]));
  }
  return static_cast<int>(caption.words.size());
}

}  // namespace vedkit
