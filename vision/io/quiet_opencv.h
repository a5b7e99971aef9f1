#pragma once

#include <opencv2/core/utils/logger.hpp>

namespace vedkit {

// Runs open (a VideoCapture or VideoWriter open) with OpenCV's logging off and returns what it
// returns; false when it throws. The videoio backends log warnings when a device or file does
// not open, and the DataError that follows says it once, in words.
template <typename Open>
bool open_quietly(Open&& open) {
  const auto level = cv::utils::logging::getLogLevel();
  cv::utils::logging::setLogLevel(cv::utils::logging::LOG_LEVEL_SILENT);
  bool opened = false;
  try {
    opened = open();
  } catch (const cv::Exception&) {
    opened = false;
  }
  cv::utils::logging::setLogLevel(level);
  return opened;
}

}  // namespace vedkit
