#include "text/load_caption_model.h"

#include "core/error.h"
#include "core/model_file.h"
#include "core/precision.h"
#include "vision/inference/int8_model_file.h"

namespace vedkit {

LoadedCaptionModel load_caption_model(const std::string& path, const std::string& precision) {
  const auto file = ModelFile::open(path);
  const auto task = file.task();
  if (task != "captioning") {
    throw ModelFileError(path + ": a " + (task.empty() ? "non-vedkit" : task) + " model, not a captioner");
  }
  if (file.contents().vocabulary.empty()) throw ModelFileError(path + ": no vocabulary, so no tokenizer");
  LoadedCaptionModel loaded;
  loaded.tokenizer = tokenizer_from_vocabulary(file.contents().vocabulary);
  auto config = file.model_config();
  loaded.model = build_caption_model(config.section("model"), loaded.tokenizer->vocab_size());
  file.load_weights(*loaded.model);
  loaded.model->prepare_for_inference();
  set_precision(*loaded.model, precision_for(file, precision));
  use_int8_of(file, *loaded.model);
  loaded.decoding = read_decoding_options(config.section("decode"));
  auto data = config.section("data");
  if (data.has("size")) {
    loaded.input_size = data.get_ints("size", std::nullopt, {1, 16384});
    if (loaded.input_size.size() != 2) data.fail("size", "expected [height, width]");
  }
  return loaded;
}

}  // namespace vedkit
