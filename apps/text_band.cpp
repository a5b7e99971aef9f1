#include "apps/text_band.h"

#include <algorithm>
#include <opencv2/imgproc.hpp>
#include <sstream>
#include <vector>

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

}  // namespace

void draw_text_band(cv::Mat& image, const std::string& text, bool top) {
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

}  // namespace vedkit
