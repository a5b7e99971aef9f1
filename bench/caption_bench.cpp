// Times captioning one image as vedkit-caption does (InferenceMode, the decoder's key/value
// cache): encode, then exactly `tokens` tokens, greedy or beam. `bench-caption --method beam
// --beam 3 --tokens 20`. The model is untrained, so <eos> is an id outside the vocabulary and
// every caption runs to the full length. Prints "captions_per_s ms_per_caption" on one line;
// bench/run_caption.py runs it beside the peer.
#include <torch/torch.h>

#include "apps/cli.h"
#include "bench/timing.h"
#include "core/config.h"
#include "core/error.h"
#include "core/precision.h"
#include "core/runtime.h"
#include "text/caption_model.h"
#include "text/caption_step_model.h"

namespace po = vedkit::po;

int main(int argc, char** argv) {
  po::options_description options("bench-caption");
  options.add_options()
      ("method", po::value<std::string>()->default_value("greedy"), "greedy | beam")
      ("beam", po::value<int64_t>()->default_value(3), "beams per image (beam)")
      ("tokens", po::value<int64_t>()->default_value(20), "tokens per caption (at most 32)")
      ("size", po::value<int64_t>()->default_value(224), "input height and width")
      ("dtype", po::value<std::string>()->default_value("float32"), "float32 | bfloat16")
      ("threads", po::value<int>()->default_value(0), "threads (0: every core)")
      ("seconds", po::value<double>()->default_value(5.0), "time spent measuring")
      ("help", "show this help");
  return vedkit::run_app("bench-caption", [&] {
    po::variables_map args;
    if (!vedkit::parse_args(argc, argv, options, args)) return 0;
    vedkit::use_all_cores();
    if (args["threads"].as<int>() > 0) at::set_num_threads(args["threads"].as<int>());
    // The reference model: ViT-Ti/16 encoder, 4-layer transformer decoder of width 256.
    const int64_t vocab = 1000;
    auto config = vedkit::Config::from_text(
        "encoder: {type: vit, preset: tiny}\n"
        "decoder: {width: 256, layers: 4, heads: 4, ffn_width: 1024, max_length: 32}\n",
        "bench");
    auto model = vedkit::build_caption_model(config.root(), vocab);
    model->prepare_for_inference();
    vedkit::set_precision(*model, args["dtype"].as<std::string>());
    vedkit::DecodingOptions decoding;
    decoding.method = args["method"].as<std::string>();
    if (decoding.method != "greedy" && decoding.method != "beam") {
      throw po::error("--method " + decoding.method + ": expected greedy or beam");
    }
    decoding.beam_size = args["beam"].as<int64_t>();
    decoding.max_length = args["tokens"].as<int64_t>();
    const int64_t bos = 1, eos = vocab;  // an <eos> no step can pick
    const int64_t size = args["size"].as<int64_t>();
    const auto image = torch::rand({1, 3, size, size});

    torch::InferenceMode inference;
    const auto caption = [&] { return vedkit::caption_images(*model, image, bos, eos, decoding); };
    const auto made = caption().front().tokens.size();
    if (static_cast<int64_t>(made) != decoding.max_length) {
      throw vedkit::Error("bench-caption: a caption of " + std::to_string(made) + " tokens, not " +
                          std::to_string(decoding.max_length));
    }
    vedkit::bench::time_passes([&] { caption(); }, 1, args["seconds"].as<double>());
    return 0;
  });
}
