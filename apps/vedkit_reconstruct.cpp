// vedkit-reconstruct --model FILE [--out DIR] [--score] [--encode FILE.npy|.csv]
//                    [--interpolate A B [--steps N]] INPUT...
// Reconstructions as PNGs (input above reconstruction), per-image error for anomaly
// screening, latents, or a strip of decoded blends between two images.
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>

#include "apps/cli.h"
#include "core/error.h"
#include "core/npy.h"
#include "core/runtime.h"
#include "datasets/autoencoder/autoencoder_image_data.h"
#include "datasets/image_files.h"
#include "vision/autoencoder/reconstruction_scores.h"
#include "vision/io/image_io.h"

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

}  // namespace

int main(int argc, char** argv) {
  return vedkit::run_app("vedkit-reconstruct", [&] {
    namespace po = vedkit::po;
    po::options_description options("vedkit-reconstruct: run a trained autoencoder on images");
    options.add_options()
        ("model", po::value<std::string>()->required(), "autoencoder model file (.vdk)")
        ("out", po::value<std::string>()->default_value("reconstruct_out"), "output folder")
        ("score", "print a JSON line per image: MSE, PSNR and SSIM against its reconstruction")
        ("encode", po::value<std::string>(), "write the latents to FILE.npy (+ FILE.npy.txt) or FILE.csv")
        ("interpolate", po::value<std::vector<std::string>>()->multitoken(), "A B: decode blends of two images")
        ("steps", po::value<int64_t>()->default_value(8), "blends between A and B")
        ("input", po::value<std::vector<std::string>>(), "images, folders or globs");
    vedkit::add_threads_option(options);
    options.add_options()("help", "show this help");
    po::positional_options_description positional;
    positional.add("input", -1);
    po::variables_map args;
    if (!vedkit::parse_args(argc, argv, options, args, &positional)) return 0;

    vedkit::use_threads_from(args);
    auto model = vedkit::load_autoencoder_model(args["model"].as<std::string>());
    const auto size = model->input_size();
    const auto out_dir = args["out"].as<std::string>();
    std::filesystem::create_directories(out_dir);
    torch::InferenceMode inference;

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
        if (args.count("score")) {
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
              << " images done" << (args.count("score") || args.count("encode") ? "" : "; PNGs in " + out_dir + "/")
              << "\n";
    return failed > 0 ? 1 : 0;
  });
}
