#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "apps/cli.h"
#include "apps/frame_source.h"
#include "apps/live_stream.h"

namespace vedkit {

// The options of an app that analyses a camera or a video live: --camera N, --video FILE,
// --skip K, --fast, --headless, --frames DIR, and the annotated video's, named video_out
// ("out" in vedkit-caption; "video-out" where --out is a folder).
void add_live_options(po::options_description& options, const std::string& video_out);

// Whether --camera or --video was given.
bool live_source_given(const po::variables_map& args);

// The camera or the video (paced unless --fast, after --skip frames).
std::unique_ptr<FrameSource> open_frame_source(const po::variables_map& args);

LiveOptions live_options_from(const po::variables_map& args, const std::string& video_out,
                              int64_t inference_threads);

}  // namespace vedkit
