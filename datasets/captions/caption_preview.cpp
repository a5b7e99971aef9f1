#include "datasets/captions/caption_preview.h"

#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>
#include <sstream>

#include "vision/io/image_io.h"

namespace vedkit {
namespace {

constexpr int kFont = cv::FONT_HERSHEY_SIMPLEX;
constexpr double kFontScale = 0.4;
constexpr int kLineHeight = 14;
constexpr int kMargin = 4;

// The caption broken into lines no wider than width pixels (a longer word gets its own line).
std::vector<std::string> wrap(const std::string& caption, int width) {
  std::vector<std::string> lines;
  std::istringstream words(caption);
  std::string line;
  for (std::string word; words >> word;) {
    const std::string longer = line.empty() ? word : line + " " + word;
    int baseline = 0;
    if (!line.empty() && cv::getTextSize(longer, kFont, kFontScale, 1, &baseline).width > width) {
      lines.push_back(line);
      line = word;
    } else {
      line = longer;
    }
  }
  if (!line.empty()) lines.push_back(line);
  return lines;
}

}  // namespace

void write_caption_grid(const std::string& path, const at::Tensor& images,
                        const std::vector<std::string>& captions) {
  const int64_t count = images.size(0);
  const int width = static_cast<int>(images.size(3));
  const int scale = std::max(1, (192 + width - 1) / width);
  const int tile_width = width * scale;
  std::vector<std::vector<std::string>> lines;
  size_t most_lines = 1;
  for (const auto& caption : captions) {
    lines.push_back(wrap(caption, tile_width - 2 * kMargin));
    most_lines = std::max(most_lines, lines.back().size());
  }
  const int panel = static_cast<int>(most_lines) * kLineHeight + 2 * kMargin;
  const int tile_height = static_cast<int>(images.size(2)) * scale + panel;
  const int columns = static_cast<int>(std::min<int64_t>(4, count));
  const int rows = static_cast<int>((count + columns - 1) / columns);
  cv::Mat grid(rows * tile_height, columns * tile_width, CV_8UC3, cv::Scalar(255, 255, 255));
  for (int64_t i = 0; i < count; ++i) {
    const int x = static_cast<int>(i % columns) * tile_width,
              y = static_cast<int>(i / columns) * tile_height;
    cv::Mat tile = to_bgr8(tensor_to_image(images[i].clamp(0, 1)));
    cv::resize(tile, tile, cv::Size(), scale, scale, cv::INTER_NEAREST);
    tile.copyTo(grid(cv::Rect(x, y, tile.cols, tile.rows)));
    for (size_t k = 0; k < lines[i].size(); ++k) {
      const int baseline = y + tile.rows + kMargin + static_cast<int>(k + 1) * kLineHeight - 3;
      cv::putText(grid, lines[i][k], cv::Point(x + kMargin, baseline), kFont, kFontScale,
                  cv::Scalar(0, 0, 0), 1, cv::LINE_AA);
    }
  }
  write_png(path, grid);
}

}  // namespace vedkit
