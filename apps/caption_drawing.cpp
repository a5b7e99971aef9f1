#include "apps/caption_drawing.h"

#include <torch/torch.h>

#include <cctype>
#include <cstdio>
#include <opencv2/imgproc.hpp>
#include <sstream>
#include <vector>

#include "vision/io/image_io.h"

namespace vedkit {
namespace {

constexpr int kFont = cv::FONT_HERSHEY_SIMPLEX;
constexpr int kMaxLines = 3;

// Greedy word wrap to lines no wider than width pixels.
std::vector<std::string> wrap(const std::string& text, double scale, int thickness, int width) {
  std::vector<std::string> lines;
  std::istringstream words(text);
  std::string word;
  int baseline = 0;
  while (words >> word) {
    const auto candidate = lines.empty() ? word : lines.back() + " " + word;
    if (!lines.empty() &&
        cv::getTextSize(candidate, kFont, scale, thickness, &baseline).width <= width) {
      lines.back() = candidate;
    } else {
      lines.push_back(word);
    }
  }
  return lines;
}

// Letters, digits and hyphens; anything else becomes '_'.
std::string file_name_part(const std::string& word) {
  std::string out = word;
  for (char& c : out) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-') c = '_';
  }
  return out;
}

}  // namespace

void draw_caption(cv::Mat& image, const std::string& text, bool top) {
  const double scale = std::max(0.35, image.cols / 900.0);
  const int thickness = scale > 0.7 ? 2 : 1;
  const int margin = std::max(2, static_cast<int>(6 * scale));
  auto lines = wrap(text, scale, thickness, image.cols - 2 * margin);
  if (lines.size() > kMaxLines) {
    lines.resize(kMaxLines);
    lines.back() += " ...";
  }
  if (lines.empty()) return;
  int baseline = 0;
  const int line_height =
      cv::getTextSize("Ag", kFont, scale, thickness, &baseline).height + baseline + margin;
  const int band_height =
      std::min(image.rows, static_cast<int>(lines.size()) * line_height + margin);
  const cv::Rect band(0, top ? 0 : image.rows - band_height, image.cols, band_height);
  cv::Mat shaded = image(band);
  shaded *= 0.35;
  for (size_t i = 0; i < lines.size(); ++i) {
    const cv::Point origin(margin, band.y + static_cast<int>(i + 1) * line_height - baseline);
    cv::putText(image, lines[i], origin, kFont, scale, cv::Scalar(255, 255, 255), thickness,
                cv::LINE_AA);
  }
}

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
  draw_caption(out, word, true);
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
