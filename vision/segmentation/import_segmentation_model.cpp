#include "vision/segmentation/import_segmentation_model.h"

#include "core/model_file.h"
#include "vision/encoders/state_dict.h"
#include "vision/segmentation/segmentation_model.h"

namespace vedkit {

int64_t import_segmentation_model(Config& config, const std::string& state_dict,
                                  const std::string& out) {
  config.root().get_string("task", std::nullopt, {"segmentation"});
  auto model = build_segmentation_model(config.section("model"));
  auto data = config.section("data");
  ModelFileContents contents;
  contents.vocabulary = data.get_strings("class_names", std::nullopt);
  if (static_cast<int64_t>(contents.vocabulary.size()) != model->num_classes()) {
    data.fail("class_names", "expected " + std::to_string(model->num_classes()) +
                                 " names (model.decoder.num_classes)");
  }
  const int64_t copied = copy_state(*model, read_state_dict(state_dict), {"mean", "std"});
  contents.config_yaml = config.to_yaml();
  write_model_file(out, *model, contents);
  return copied;
}

}  // namespace vedkit
