#include "apps/live_captioner.h"

#include <ATen/Parallel.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <exception>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "apps/caption_drawing.h"
#include "apps/frame_sinks.h"
#include "apps/latest_frame.h"
#include "core/interrupt.h"

namespace vedkit {
namespace {

// What the three threads share besides the frames.
struct Shared {
  std::mutex mutex;
  std::string caption;  // the latest, drawn on every frame
  int64_t captions = 0;
  double caption_seconds = 0.0;
  std::string ended_by;  // the first reason wins
  std::exception_ptr error;

  void end(const std::string& reason, std::exception_ptr failure = nullptr) {
    std::lock_guard<std::mutex> lock(mutex);
    if (ended_by.empty()) ended_by = reason;
    if (failure && !error) error = failure;
  }
};

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

void capture_frames(FrameSource& source, LatestFrame& frames, Shared& shared) {
  try {
    cv::Mat image;
    double seconds = 0.0;
    for (int64_t index = 0; !interrupt_requested() && source.read(image, seconds); ++index) {
      if (!frames.put({image, index, seconds}, !source.is_live())) break;  // the display stopped
    }
    shared.end(interrupt_requested() ? "Ctrl-C" : "end of stream");
  } catch (...) {
    shared.end("an error", std::current_exception());
  }
  frames.close();
}

void caption_frames(FrameCaptioner& captioner, LatestFrame& frames, Shared& shared,
                    const LiveCaptionOptions& options, std::ostream& out) {
  try {
    // OpenMP's thread count belongs to the calling thread: the worker sets its own.
    const auto cores = static_cast<int64_t>(std::thread::hardware_concurrency());
    at::set_num_threads(static_cast<int>(options.inference_threads > 0
                                             ? options.inference_threads
                                             : std::max<int64_t>(1, cores - 1)));
    std::string printed;
    int64_t attention_written = 0;
    for (auto frame = frames.newest_after(-1); frame; frame = frames.newest_after(frame->index)) {
      const auto caption = captioner.caption(frame->image);
      {
        std::lock_guard<std::mutex> lock(shared.mutex);
        shared.caption = caption.text;
        ++shared.captions;
        shared.caption_seconds += caption.seconds;
      }
      if (caption.text.empty() || printed == caption.text) continue;
      printed = caption.text;
      out << caption_line(*frame, caption, options.json) << std::endl;
      if (!options.attention_dir.empty() && attention_written < options.attention_limit) {
        char name[32];
        std::snprintf(name, sizeof(name), "frame_%06lld", static_cast<long long>(frame->index));
        write_attention_maps(options.attention_dir, name, frame->image, caption);
        ++attention_written;
      }
    }
  } catch (...) {
    shared.end("an error", std::current_exception());
    frames.close();
  }
}

}  // namespace

LiveCaptionReport run_live_captioning(FrameSource& source, FrameCaptioner& captioner,
                                      const LiveCaptionOptions& options, std::ostream& out) {
  FrameSinks sinks(options.show, options.video_out, options.frames_dir, source.fps(),
                   source.frame_size());
  LatestFrame frames;
  Shared shared;
  std::thread capture(capture_frames, std::ref(source), std::ref(frames), std::ref(shared));
  std::thread worker(caption_frames, std::ref(captioner), std::ref(frames), std::ref(shared),
                     std::cref(options), std::ref(out));

  LiveCaptionReport report;
  report.source = source.name();
  std::chrono::steady_clock::time_point first, last;
  try {
    std::string stop_reason;
    while (auto frame = frames.take_to_show()) {
      std::string caption;
      {
        std::lock_guard<std::mutex> lock(shared.mutex);
        caption = shared.caption;
      }
      cv::Mat shown = frame->image.clone();  // the worker may be reading the original
      draw_caption(shown, caption);
      last = std::chrono::steady_clock::now();
      if (report.frames_shown++ == 0) first = last;
      if (!sinks.put(shown, frame->index, stop_reason)) {
        shared.end(stop_reason);
        break;
      }
    }
  } catch (...) {
    shared.end("an error", std::current_exception());
  }
  frames.close();
  capture.join();
  worker.join();
  if (shared.error) std::rethrow_exception(shared.error);

  report.ended_by = shared.ended_by;
  report.frames_read = source.frames_read();
  report.captions = shared.captions;
  report.caption_seconds = shared.caption_seconds;
  report.seconds = std::chrono::duration<double>(last - first).count();
  return report;
}

std::string format_report(const LiveCaptionReport& report) {
  const double seconds = std::max(report.seconds, 1e-9);
  char line[512];
  std::snprintf(line, sizeof(line),
                "%s: %s; %lld frames shown in %.1f s (%.1f fps, %lld of %lld read dropped), "
                "%lld captions (%.2f/s, %.0f ms each)",
                report.source.c_str(), report.ended_by.c_str(),
                static_cast<long long>(report.frames_shown), report.seconds,
                report.frames_shown > 1 ? (report.frames_shown - 1) / seconds : 0.0,
                static_cast<long long>(report.frames_read - report.frames_shown),
                static_cast<long long>(report.frames_read), static_cast<long long>(report.captions),
                report.captions / seconds,
                report.captions > 0 ? 1000 * report.caption_seconds / report.captions : 0.0);
  return line;
}

}  // namespace vedkit
