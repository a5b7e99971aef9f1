#include "apps/train_captioning.h"

#include <iostream>

#include "core/model_file.h"
#include "core/runtime.h"
#include "core/trainer.h"
#include "datasets/captions/caption_image_data.h"
#include "text/captioning_task.h"

namespace vedkit {

int train_captioning(Config& config, const TrainArgs& args) {
  config.root().get_string("task", std::nullopt, {"captioning"});
  const auto runtime = read_runtime_options(config.section("runtime"));
  const auto device = apply_runtime(runtime);
  auto train_section = config.section("train");
  const auto trainer_options = read_trainer_options(train_section);
  const double label_smoothing = train_section.get_real("label_smoothing", 0.1, {0.0, 0.9});
  const auto tokenizer_options = read_tokenizer_options(config.section("tokenizer"));
  const auto decoding = read_decoding_options(config.section("decode"));

  // The vocabulary, and so the model, comes from the training captions: read the caption file
  // (cheap) now, decode the images only once the config is known to be good.
  const auto data_options = read_caption_data_options(config.section("data"), runtime.seed);
  const auto splits = split_caption_file(data_options);
  std::vector<std::string> captions;
  for (const auto& image : splits.train)
    captions.insert(captions.end(), image.captions.begin(), image.captions.end());
  // A resumed run keeps its model's vocabulary: learnt again from other captions, the same words
  // could get other ids (they are numbered by frequency) and no longer match the embeddings.
  std::shared_ptr<const Tokenizer> tokenizer =
      args.resume.empty()
          ? build_tokenizer(tokenizer_options, captions)
          : tokenizer_from_vocabulary(ModelFile::open(args.resume).contents().vocabulary);
  auto model = build_caption_model(config.section("model"), tokenizer->vocab_size());
  const int64_t multiple = model->size_multiple();
  if (data_options.size[0] % multiple != 0 || data_options.size[1] % multiple != 0) {
    config.section("data").fail(
        "size", "expected multiples of " + std::to_string(multiple) + ", the encoder's stride");
  }
  const int64_t positions = model->decoder()->options().max_length();
  if (decoding.max_length > positions) {
    config.section("decode").fail("max_length", "expected at most model.decoder.max_length (" +
                                                    std::to_string(positions) + ")");
  }
  config.check_all_keys_known();
  if (args.print_config) {
    std::cout << config.to_yaml();
    return 0;
  }

  CaptionImageData data(data_options, splits, model->in_channels());
  if (!args.quiet) {
    std::cout << "captioning: " << data.train_size() << " training and " << data.val_size()
              << " validation images of " << data_options.size[0] << "x" << data_options.size[1]
              << ", " << tokenizer->vocab_size() << " tokens (" << tokenizer->type() << "), "
              << at::get_num_threads() << " threads, writing to " << trainer_options.out_dir
              << "\n";
  }
  CaptioningTask task(model, tokenizer, data, label_smoothing, device);
  const auto result = train(task, trainer_options, config.to_yaml(), args.resume, args.quiet);
  if (!args.quiet && !result.interrupted) {
    std::cout << "best CIDEr-D " << result.best_metric << ": " << result.best_path << "\n";
  }
  return result.interrupted ? 130 : 0;
}

}  // namespace vedkit
