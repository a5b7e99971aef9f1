#include "apps/live_stream.h"

#include <ATen/Parallel.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <exception>
#include <mutex>
#include <thread>

#include "apps/frame_sinks.h"
#include "core/interrupt.h"

namespace vedkit {
namespace {

// What the three threads share besides the frames.
struct Shared {
  std::mutex mutex;
  FrameAnalyzer::Drawing drawing;  // the latest, drawn on every frame
  int64_t analyses = 0;
  double analysis_seconds = 0.0;
  std::string ended_by;  // the first reason wins
  std::exception_ptr error;

  void end(const std::string& reason, std::exception_ptr failure = nullptr) {
    std::lock_guard<std::mutex> lock(mutex);
    if (ended_by.empty()) ended_by = reason;
    if (failure && !error) error = failure;
  }
};

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

void analyze_frames(FrameAnalyzer& analyzer, LatestFrame& frames, Shared& shared,
                    const LiveOptions& options) {
  try {
    // OpenMP's thread count belongs to the calling thread: the worker sets its own.
    const auto cores = static_cast<int64_t>(std::thread::hardware_concurrency());
    at::set_num_threads(static_cast<int>(options.inference_threads > 0
                                             ? options.inference_threads
                                             : std::max<int64_t>(1, cores - 1)));
    for (auto frame = frames.newest_after(-1); frame; frame = frames.newest_after(frame->index)) {
      const auto began = std::chrono::steady_clock::now();
      auto drawing = analyzer.analyze(*frame);
      const double seconds =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count();
      std::lock_guard<std::mutex> lock(shared.mutex);
      shared.drawing = std::move(drawing);
      ++shared.analyses;
      shared.analysis_seconds += seconds;
    }
  } catch (...) {
    shared.end("an error", std::current_exception());
    frames.close();
  }
}

}  // namespace

LiveReport run_live(FrameSource& source, FrameAnalyzer& analyzer, const LiveOptions& options) {
  FrameSinks sinks(options.show, options.video_out, options.frames_dir, source.fps(),
                   source.frame_size());
  LatestFrame frames;
  Shared shared;
  std::thread capture(capture_frames, std::ref(source), std::ref(frames), std::ref(shared));
  std::thread worker(analyze_frames, std::ref(analyzer), std::ref(frames), std::ref(shared),
                     std::cref(options));

  LiveReport report;
  report.source = source.name();
  std::chrono::steady_clock::time_point first, last;
  try {
    std::string stop_reason;
    while (auto frame = frames.take_to_show()) {
      FrameAnalyzer::Drawing drawing;
      {
        std::lock_guard<std::mutex> lock(shared.mutex);
        drawing = shared.drawing;
      }
      cv::Mat shown = frame->image.clone();  // the worker may be reading the original
      if (drawing) drawing(shown);
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
  report.analyses = shared.analyses;
  report.analysis_seconds = shared.analysis_seconds;
  report.seconds = std::chrono::duration<double>(last - first).count();
  return report;
}

std::string format_report(const LiveReport& report, const std::string& analyses) {
  const double seconds = std::max(report.seconds, 1e-9);
  char line[512];
  std::snprintf(line, sizeof(line),
                "%s: %s; %lld frames shown in %.1f s (%.1f fps, %lld of %lld read dropped), "
                "%lld %s (%.2f/s, %.0f ms each)",
                report.source.c_str(), report.ended_by.c_str(),
                static_cast<long long>(report.frames_shown), report.seconds,
                report.frames_shown > 1 ? (report.frames_shown - 1) / seconds : 0.0,
                static_cast<long long>(report.frames_read - report.frames_shown),
                static_cast<long long>(report.frames_read), static_cast<long long>(report.analyses),
                analyses.c_str(), report.analyses / seconds,
                report.analyses > 0 ? 1000 * report.analysis_seconds / report.analyses : 0.0);
  return line;
}

}  // namespace vedkit
