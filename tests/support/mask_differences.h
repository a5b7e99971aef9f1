#pragma once

#include <filesystem>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <string>

namespace vedkit::testing {

// Two vedkit-segment output folders of the same images: how many mask pixels there are (in
// `reference`) and how many differ in `other`; a mask missing there or of another size counts
// as differing in full.
struct MaskDifferences {
  int64_t pixels = 0;
  int64_t differing = 0;
};

inline MaskDifferences mask_differences(const std::string& reference, const std::string& other) {
  MaskDifferences result;
  for (const auto& entry : std::filesystem::directory_iterator(reference)) {
    const auto file = entry.path().filename().string();
    if (file.find("_mask.png") == std::string::npos) continue;
    const cv::Mat expected = cv::imread(entry.path().string(), cv::IMREAD_UNCHANGED);
    const cv::Mat got = cv::imread(other + "/" + file, cv::IMREAD_UNCHANGED);
    result.pixels += static_cast<int64_t>(expected.total());
    result.differing += got.size() == expected.size() ? cv::countNonZero(expected != got)
                                                      : static_cast<int64_t>(expected.total());
  }
  return result;
}

}  // namespace vedkit::testing
