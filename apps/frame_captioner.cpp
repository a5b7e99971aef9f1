#include "apps/frame_captioner.h"

#include <torch/torch.h>

#include <chrono>

#include "core/error.h"
#include "text/caption_step_model.h"
#include "vision/io/image_io.h"

namespace vedkit {

FrameCaptioner::FrameCaptioner(LoadedCaptionModel loaded, std::vector<int64_t> size, bool attention)
    : loaded_(std::move(loaded)), size_(std::move(size)), attention_(attention) {
  if (size_.empty())
    size_ = loaded_.input_size.empty() ? std::vector<int64_t>{128, 128} : loaded_.input_size;
  const int64_t multiple = loaded_.model->size_multiple();
  if (size_.size() != 2 || size_[0] < multiple || size_[1] < multiple || size_[0] % multiple != 0 ||
      size_[1] % multiple != 0) {
    throw Error("the input size must be a height and a width that are multiples of " +
                std::to_string(multiple) + " (this model's encoder)");
  }
  loaded_.decoding.attention = attention_;
}

FrameCaption FrameCaptioner::caption(const cv::Mat& frame) {
  const auto start = std::chrono::steady_clock::now();
  FrameCaption out;
  out.region = covering_region(frame.size(), size_[0], size_[1]);
  const auto image =
      image_to_tensor(resize_covering(frame, size_[0], size_[1]), loaded_.model->in_channels());
  const auto& tokenizer = *loaded_.tokenizer;
  const auto hypothesis = caption_images(*loaded_.model, image.unsqueeze(0), tokenizer.bos_id(),
                                         tokenizer.eos_id(), loaded_.decoding)
                              .front();
  out.text = tokenizer.decode(hypothesis.tokens);
  std::vector<int64_t> kept;
  for (size_t i = 0; i < hypothesis.tokens.size(); ++i) {
    auto word = tokenizer.decode({hypothesis.tokens[i]});
    if (word.empty()) continue;
    out.words.push_back(std::move(word));
    kept.push_back(static_cast<int64_t>(i));
  }
  if (attention_ && hypothesis.attention.defined() && !kept.empty()) {
    const auto attention = hypothesis.attention.index_select(0, torch::tensor(kept));  // [words, N]
    const auto grid =
        token_grid(size_[0], size_[1], attention.size(1), loaded_.model->size_multiple());
    out.attention = attention.reshape({attention.size(0), grid[0], grid[1]}).to(torch::kFloat);
  }
  out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return out;
}

}  // namespace vedkit
