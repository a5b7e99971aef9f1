#include "apps/live_captioner.h"

#include <cstdio>
#include <nlohmann/json.hpp>

#include "apps/caption_drawing.h"
#include "apps/text_band.h"

namespace vedkit {
namespace {

std::string caption_line(const Frame& frame, const FrameCaption& caption, bool json) {
  if (json) {
    const nlohmann::ordered_json line{{"time", frame.seconds},
                                      {"frame", frame.index},
                                      {"caption", caption.text},
                                      {"ms", static_cast<int64_t>(caption.seconds * 1000)}};
    return line.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
  }
  char time[32];
  std::snprintf(time, sizeof(time), "%.2fs  ", frame.seconds);
  return time + caption.text;
}

}  // namespace

LiveCaptioner::LiveCaptioner(FrameCaptioner& captioner, LiveCaptionOptions options,
                             std::ostream& out)
    : captioner_(captioner), options_(std::move(options)), out_(out) {}

FrameAnalyzer::Drawing LiveCaptioner::analyze(const Frame& frame) {
  const auto caption = captioner_.caption(frame.image);
  if (!caption.text.empty() && printed_ != caption.text) {
    printed_ = caption.text;
    out_ << caption_line(frame, caption, options_.json) << std::endl;
    if (!options_.attention_dir.empty() && attention_written_ < options_.attention_limit) {
      char name[32];
      std::snprintf(name, sizeof(name), "frame_%06lld", static_cast<long long>(frame.index));
      write_attention_maps(options_.attention_dir, name, frame.image, caption);
      ++attention_written_;
    }
  }
  return [text = caption.text](cv::Mat& shown) { draw_text_band(shown, text); };
}

}  // namespace vedkit
