// vedkit-reconstruct --model FILE [--out DIR] [--score | --anomaly [--threshold T]]
//                    [--encode FILE.npy|.csv] [--interpolate A B [--steps N]] INPUT...
// vedkit-reconstruct --model FILE (--camera N | --video FILE [--skip K]) [--threshold T] [--headless]
//                    [--video-out FILE.avi|.mp4] [--frames DIR]
// Reconstructions as PNGs (input above reconstruction), per-image error, anomaly maps and
// verdicts, latents, or a strip of decoded blends between two images; or live anomaly maps
// drawn over a camera's or a video's frames.
#include <torch/torch.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>

#include "apps/cli.h"
#include "apps/live_anomaly.h"
#include "apps/live_options.h"
#include "core/interrupt.h"
#include "core/error.h"
#include "core/model_file.h"
#include "core/npy.h"
#include "core/runtime.h"
#include "datasets/autoencoder/autoencoder_image_data.h"
#include "datasets/image_files.h"
#include "vision/autoencoder/anomaly_map.h"
#include "vision/autoencoder/reconstruction_scores.h"
#include "vision/io/image_io.h"
#include "vision/io/overlay.h"

namespace {

// [1, C, H, W]: at the model's input size when its latent fixes one, else as the file is.
at::Tensor read_input(vedkit::AutoencoderModel& model, const std::string& path,
                      const std::vector<int64_t>& size) {
  if (size.empty()) return vedkit::read_image(path, model->in_channels()).unsqueeze(0);
  return vedkit::read_image_covering(path, model->in_channels(), size[0], size[1]).unsqueeze(0);
}

void write_latents(const std::string& path, const std::vector<std::string>& files,
                   const std::vector<at::Tensor>& latents) {
  if (std::filesystem::path(path).extension() == ".csv") {
    std::ofstream out(path);
    for (size_t i = 0; i < files.size(); ++i) {
      out << files[i];
      const auto values = latents[i].to(torch::kFloat).contiguous();
      const float* value = values.data_ptr<float>();
      for (int64_t j = 0; j < values.numel(); ++j) out << "," << value[j];
      out << "\n";
    }
    if (!out) throw vedkit::DataError(path + ": cannot write the latents");
    return;
  }
  for (const auto& latent : latents) {
    if (latent.sizes() != latents.front().sizes()) {
      throw vedkit::DataError(path + ": images of different sizes give latent maps of different "
                              "shapes; write --encode to a .csv, or give images of one size");
    }
  }
  vedkit::write_npy(path, torch::cat(latents));
  std::ofstream names(path + ".txt");  // row i of the array is line i
  for (const auto& file : files) names << file << "\n";
}

// The image's anomaly map at the file's own size as NPY and heat map, and its JSON line.
void write_anomaly(vedkit::AutoencoderModel& model, const std::string& file,
                   const std::vector<int64_t>& trained_size, const std::string& stem, double threshold) {
  const auto original = vedkit::read_image(file, model->in_channels());
  const auto [map, score] = vedkit::image_anomaly(model, original, trained_size);
  const bool judged = std::isfinite(threshold);
  // The threshold at the middle of the colour scale: red is above it.
  const double full_scale = judged ? 2 * threshold : map.max().item<double>();
  vedkit::write_npy(stem + "_anomaly.npy", map);
  vedkit::write_png(stem + "_anomaly.png",
                    vedkit::heat_overlay(vedkit::tensor_to_image(original), map, full_scale));
  std::cout << std::setprecision(6) << "{\"image\": \"" << file << "\", \"score\": " << score;
  if (judged) {
    std::cout << ", \"threshold\": " << threshold << ", \"anomalous\": " << (score > threshold ? "true" : "false");
  }
  std::cout << ", \"map\": \"" << stem << "_anomaly.npy\", \"overlay\": \"" << stem << "_anomaly.png\"}\n";
}

}  // namespace

int main(int argc, char** argv) {
  return vedkit::run_app("vedkit-reconstruct", [&] {
    namespace po = vedkit::po;
    po::options_description options("vedkit-reconstruct: run a trained autoencoder on images");
    options.add_options()
        ("model", po::value<std::string>()->required(), "autoencoder model file (.vdk)")
        ("out", po::value<std::string>()->default_value("reconstruct_out"), "output folder")
        ("score", "print a JSON line per image: MSE, PSNR and SSIM against its reconstruction")
        ("anomaly", "per image, an anomaly map at the image's size (OUT/NAME_anomaly.npy, float; "
                    "OUT/NAME_anomaly.png, a heat map over the image) and a JSON line with its score "
                    "and whether it is above the threshold")
        ("threshold", po::value<double>(), "--anomaly: the score above which an image is anomalous "
                                           "(default: the model file's, chosen on its held-out images)")
        ("encode", po::value<std::string>(), "write the latents to FILE.npy (+ FILE.npy.txt) or FILE.csv")
        ("interpolate", po::value<std::vector<std::string>>()->multitoken(), "A B: decode blends of two images")
        ("steps", po::value<int64_t>()->default_value(8), "blends between A and B")
        ("input", po::value<std::vector<std::string>>(), "images, folders or globs");
    vedkit::add_live_options(options, "video-out");
    vedkit::add_threads_option(options);
    options.add_options()("help", "show this help");
    po::positional_options_description positional;
    positional.add("input", -1);
    po::variables_map args;
    if (!vedkit::parse_args(argc, argv, options, args, &positional)) return 0;

    const bool live = vedkit::live_source_given(args);
    if (args.count("camera") + args.count("video") + args.count("input") > 1) {
      throw po::error("give one of --camera N, --video FILE or images");
    }
    vedkit::use_threads_from(args);
    auto model = vedkit::load_autoencoder_model(args["model"].as<std::string>());
    const auto size = model->input_size();
    const auto out_dir = args["out"].as<std::string>();
    if (!live) std::filesystem::create_directories(out_dir);
    torch::InferenceMode inference;
    // --anomaly's threshold and training size come from the model file's contents.
    double threshold = std::nan("");
    std::vector<int64_t> trained_size;
    if (args.count("anomaly") || live) {
      const auto file = vedkit::ModelFile::open(args["model"].as<std::string>());
      threshold = args.count("threshold") ? args["threshold"].as<double>() : file.contents().anomaly_threshold;
      trained_size = vedkit::autoencoder_training_size(file, size);
      if (!std::isfinite(threshold)) {
        std::cerr << "vedkit-reconstruct: this model file stores no anomaly threshold (trained before "
                     "vedkit chose one); scores only, or give --threshold\n";
      }
    }

    if (live) {
      auto source = vedkit::open_frame_source(args);
      const auto options = vedkit::live_options_from(args, "video-out", args["threads"].as<int64_t>());
      vedkit::LiveAnomaly analyzer(model, trained_size, threshold, std::cout);
      vedkit::install_interrupt_handler();
      const auto report = vedkit::run_live(*source, analyzer, options);
      std::cerr << "vedkit-reconstruct: " << vedkit::format_report(report, "anomaly maps") << "\n";
      return 0;
    }
    if (args.count("interpolate")) {
      const auto ends = args["interpolate"].as<std::vector<std::string>>();
      if (ends.size() != 2) throw po::error("--interpolate takes two images, A and B");
      const auto a = read_input(model, ends[0], size);
      const auto b = size.empty() ? vedkit::read_image_covering(ends[1], model->in_channels(), a.size(2), a.size(3)).unsqueeze(0)
                                  : read_input(model, ends[1], size);
      const auto strip = vedkit::interpolate_between(model, a, b, args["steps"].as<int64_t>());
      const auto path = out_dir + "/interpolation.png";
      vedkit::write_image_rows(path, {strip});
      std::cerr << "vedkit-reconstruct: " << strip.size(0) << " images from " << ends[0] << " to "
                << ends[1] << " in " << path << "\n";
      if (!args.count("input")) return 0;
    }
    if (!args.count("input")) throw po::error("give images, folders or globs to reconstruct");

    const auto files = vedkit::expand_image_inputs(args["input"].as<std::vector<std::string>>());
    const auto names = vedkit::unique_stems(files);
    std::vector<std::string> encoded_files;
    std::vector<at::Tensor> latents;
    int failed = 0;
    for (size_t i = 0; i < files.size(); ++i) {
      try {
        const auto image = read_input(model, files[i], size);
        if (args.count("encode")) {
          latents.push_back(model->encode(image));
          encoded_files.push_back(files[i]);
          continue;
        }
        if (args.count("anomaly")) {
          write_anomaly(model, files[i], trained_size, out_dir + "/" + names[i], threshold);
        } else if (args.count("score")) {
          const auto scores = vedkit::score_reconstructions(model, image);
          std::cout << std::setprecision(6) << "{\"image\": \"" << files[i]
                    << "\", \"mse\": " << scores.mse.item<double>()
                    << ", \"psnr\": " << scores.psnr.item<double>()
                    << ", \"ssim\": " << scores.ssim.item<double>() << "}\n";
        } else {
          const auto reconstruction = model->viewable(model->forward(image).reconstruction);
          vedkit::write_image_rows(out_dir + "/" + names[i] + "_reconstruction.png", {image, reconstruction});
        }
      } catch (const vedkit::Error& e) {  // unreadable, or too small for SSIM's window
        std::cerr << "vedkit-reconstruct: skipped " << e.what() << "\n";
        ++failed;
      }
    }
    if (args.count("encode") && !latents.empty()) {
      write_latents(args["encode"].as<std::string>(), encoded_files, latents);
    }
    std::cerr << "vedkit-reconstruct: " << files.size() - failed << " of " << files.size()
              << " images done"
              << (args.count("score") || args.count("encode") ? "" : "; files in " + out_dir + "/")
              << "\n";
    return failed > 0 ? 1 : 0;
  });
}
