#pragma once

#include <string>
#include <vector>

#include "datasets/captions/caption_files.h"
#include "text/load_caption_model.h"
#include "text/metrics/caption_scores.h"

namespace vedkit {

struct CaptionEvaluation {
  std::vector<CaptionedImage> images;  // those that could be read, in the order given
  std::vector<std::string> captions;   // the model's, one per image
  CaptionScores scores;
  std::vector<std::string> skipped;  // "path: why" for images that could not be read
};

// Captions every image at the model's input size (128x128 when its file has none),
// batch_size at a time, with decoding, and scores the captions against each image's
// references. No readable image is a DataError.
CaptionEvaluation evaluate_captions(LoadedCaptionModel& model,
                                    const std::vector<CaptionedImage>& images,
                                    const DecodingOptions& decoding, int64_t batch_size = 32,
                                    bool quiet = false);

// COCO's results file, [{"image_id": ..., "caption": ...}]: image_id is the image's COCO id
// when its captions came from a COCO file, else its file stem.
void write_coco_results(const std::string& path, const CaptionEvaluation& evaluation);

}  // namespace vedkit
