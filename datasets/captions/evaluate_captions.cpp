#include "datasets/captions/evaluate_captions.h"

#include <torch/torch.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/progress.h"
#include "datasets/autoencoder/image_tensor_set.h"
#include "datasets/captions/caption_image_data.h"
#include "datasets/captions/caption_lists.h"
#include "text/caption_step_model.h"

namespace vedkit {

CaptionEvaluation evaluate_captions(LoadedCaptionModel& model,
                                    const std::vector<CaptionedImage>& images,
                                    const DecodingOptions& decoding, int64_t batch_size,
                                    bool quiet) {
  CaptionEvaluation result;
  std::vector<std::vector<std::string>> references;
  const auto size = model.input_size.empty() ? CaptionDataOptions().size : model.input_size;
  Progress progress("eval", static_cast<int64_t>(images.size()), quiet);
  const auto step = static_cast<size_t>(batch_size);
  for (size_t start = 0; start < images.size(); start += step) {
    const size_t end = std::min(images.size(), start + step);
    const std::vector<CaptionedImage> chunk(images.begin() + start, images.begin() + end);
    std::vector<std::string> paths;
    for (const auto& image : chunk) paths.push_back(image.image_path);
    const auto set = load_image_files(paths, model.model->in_channels(), size[0], size[1]);
    result.skipped.insert(result.skipped.end(), set.skipped.begin(), set.skipped.end());
    if (set.images.defined()) {
      const auto batch = set.images.to(torch::kFloat).div(255);
      for (const auto& hypothesis : caption_images(*model.model, batch, model.tokenizer->bos_id(),
                                                   model.tokenizer->eos_id(), decoding)) {
        result.captions.push_back(model.tokenizer->decode(hypothesis.tokens));
      }
      for (auto& image : keep_loaded(chunk, set.paths)) {
        references.push_back(image.captions);
        result.images.push_back(std::move(image));
      }
    }
    progress.advance(static_cast<int64_t>(end - start));
  }
  progress.finish();
  if (result.images.empty()) {
    throw DataError(
        "none of the " + std::to_string(images.size()) + " captioned images could be read" +
        (result.skipped.empty() ? std::string() : " (first: " + result.skipped.front() + ")"));
  }
  result.scores = score_captions(result.captions, references);
  return result;
}

void write_coco_results(const std::string& path, const CaptionEvaluation& evaluation) {
  auto results = nlohmann::json::array();
  for (size_t i = 0; i < evaluation.images.size(); ++i) {
    const auto& image = evaluation.images[i];
    nlohmann::json id =
        image.coco_id ? nlohmann::json(*image.coco_id)
                      : nlohmann::json(std::filesystem::path(image.image_path).stem().string());
    results.push_back({{"image_id", id}, {"caption", evaluation.captions[i]}});
  }
  std::ofstream out(path);
  if (!(out << results.dump() << "\n"))
    throw DataError(path + ": cannot write the COCO results; check the folder");
}

}  // namespace vedkit
