// Times float32 linear layers at inference (vedkit::affine, the path linear layers and the ViT
// take) on a ViT's shapes: `bench-linear --width 192 --tokens 197 --batch 1`. Prints a markdown
// table of GFLOP/s per product; VEDKIT_PACKED_PRODUCT=0 times the path taken without the
// packed AVX2 kernel (oneDNN's sgemm on AVX2 CPUs), for comparison in the same shapes.
#include <torch/torch.h>

#include <iostream>

#include "apps/cli.h"
#include "bench/timing.h"
#include "core/runtime.h"
#include "vision/layers/affine.h"
#include "vision/layers/packed_product.h"

namespace po = vedkit::po;

int main(int argc, char** argv) {
  po::options_description options("bench-linear");
  options.add_options()
      ("width", po::value<int64_t>()->default_value(192), "the ViT's width D (ViT-Ti 192, ViT-B 768)")
      ("tokens", po::value<int64_t>()->default_value(197), "tokens an image (224x224, patch 16: 197)")
      ("batch", po::value<int64_t>()->default_value(1), "images")
      ("seconds", po::value<double>()->default_value(2.0), "time spent measuring each product")
      ("help", "show this help");
  return vedkit::run_app("bench-linear", [&] {
    po::variables_map args;
    if (!vedkit::parse_args(argc, argv, options, args)) return 0;
    vedkit::use_all_cores();
    const int64_t width = args["width"].as<int64_t>();
    const int64_t rows = args["tokens"].as<int64_t>() * args["batch"].as<int64_t>();
    const double seconds = args["seconds"].as<double>();
    torch::manual_seed(0);
    std::cout << "path: "
              << (vedkit::packed_product::preferred() ? "packed AVX2 kernel" : "library product")
              << ", " << torch::get_num_threads() << " threads, " << rows << " rows\n\n"
              << "| product | in | out | ms | best ms | GFLOP/s | best GFLOP/s |\n"
              << "|---|---|---|---|---|---|---|\n";
    struct Shape {
      const char* name;
      int64_t in, out;
      bool gelu;
    };
    for (const auto& shape : {Shape{"qkv", width, 3 * width, false},
                              Shape{"out_proj", width, width, false},
                              Shape{"fc1 + GELU", width, 4 * width, true},
                              Shape{"fc2", 4 * width, width, false}}) {
      const auto weight = torch::randn({shape.out, shape.in}) / std::sqrt(double(shape.in));
      const auto bias = torch::randn({shape.out});
      const auto x = torch::randn({rows, shape.in});
      torch::NoGradGuard no_grad;
      const auto t = vedkit::bench::measure_passes(
          [&] {
            shape.gelu ? vedkit::affine_gelu(x, weight, bias) : vedkit::affine(x, weight, bias);
          },
          seconds);
      const double gflop = 2e-9 * double(rows) * double(shape.in) * double(shape.out);
      std::cout << "| " << shape.name << " | " << shape.in << " | " << shape.out << " | "
                << t.mean_ms << " | " << t.best_ms << " | " << gflop / t.mean_ms * 1e3 << " | "
                << gflop / t.best_ms * 1e3 << " |\n";
    }
    return 0;
  });
}
