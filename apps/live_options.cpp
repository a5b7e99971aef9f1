#include "apps/live_options.h"

namespace vedkit {

void add_live_options(po::options_description& options, const std::string& video_out) {
  options.add_options()
      ("camera", po::value<int>(), "camera N, live")
      ("video", po::value<std::string>(), "a video file, played at its frame rate")
      ("skip", po::value<int64_t>()->default_value(0)->notifier([](int64_t n) {
         if (n < 0) throw po::error("--skip: expected 0 or more frames");
       }), "--video: start after this many frames")
      ("fast", "read a video as fast as the output takes it instead of at its frame rate")
      ("headless", ("camera/video: no window; keep the frames with --" + video_out +
                    " or --frames").c_str())
      (video_out.c_str(), po::value<std::string>(),
       "camera/video: write the annotated frames to FILE.avi (MJPG) or .mp4")
      ("frames", po::value<std::string>(), "camera/video: write the annotated frames as PNGs to DIR");
}

bool live_source_given(const po::variables_map& args) {
  return args.count("camera") + args.count("video") > 0;
}

std::unique_ptr<FrameSource> open_frame_source(const po::variables_map& args) {
  if (args.count("camera")) return FrameSource::open_camera(args["camera"].as<int>());
  return FrameSource::open_video(args["video"].as<std::string>(), args.count("fast") == 0,
                                 args["skip"].as<int64_t>());
}

LiveOptions live_options_from(const po::variables_map& args, const std::string& video_out,
                              int64_t inference_threads) {
  LiveOptions live;
  live.show = args.count("headless") == 0;
  if (args.count(video_out)) live.video_out = args[video_out].as<std::string>();
  if (args.count("frames")) live.frames_dir = args["frames"].as<std::string>();
  live.inference_threads = inference_threads;
  return live;
}

}  // namespace vedkit
