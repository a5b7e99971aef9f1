#include "datasets/segmentation/evaluate_pairs.h"

#include <torch/torch.h>

#include "core/error.h"
#include "core/progress.h"
#include "datasets/segmentation/segmentation_folder_data.h"
#include "vision/io/image_io.h"

namespace vedkit {

EvaluatedPairs evaluate_pairs(LoadedSegmentationModel& model, const std::vector<ImageMaskPair>& pairs,
                              const PredictOptions& predict, bool binary_masks, bool quiet) {
  SegmentationDataOptions options;
  options.binary_masks = binary_masks;
  const int64_t classes = model.model->num_classes();
  EvaluatedPairs result{ConfusionMatrix(classes, options.augment.ignore_index), 0, {}};
  Progress progress("eval", static_cast<int64_t>(pairs.size()), quiet);
  torch::InferenceMode inference;
  for (const auto& pair : pairs) {
    try {
      const auto decoded = decode_pair(pair, options, classes, model.model->in_channels());
      const auto image = image_to_tensor(decoded.image, model.model->in_channels()).unsqueeze(0);
      cv::Mat mask;
      decoded.mask.convertTo(mask, CV_32S);
      const auto truth = torch::from_blob(mask.data, {mask.rows, mask.cols}, torch::kInt).to(torch::kLong);
      result.confusion.add(predict_classes(*model.model, image, predict)[0], truth);
      ++result.evaluated;
    } catch (const DataError& e) {
      result.skipped.push_back(e.what());
    }
    progress.advance();
  }
  progress.finish();
  return result;
}

}  // namespace vedkit
