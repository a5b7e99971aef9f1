#pragma once

#include <memory>

#include "core/trainer.h"
#include "text/caption_data.h"
#include "text/caption_model.h"
#include "text/decoding.h"
#include "text/tokenizer.h"

namespace vedkit {

// Captions as one int64 tensor [B, T]: <bos>, the caption's tokens, <eos>, padded with <pad>
// to the longest row. A caption of more than max_length - 1 tokens is cut to that many (its
// <eos> kept), so the model's input, every column but the last, fits max_length positions.
at::Tensor caption_token_batch(const Tokenizer& tokenizer, const std::vector<std::string>& captions,
                               int64_t max_length);

// Cross-entropy of logits [B, T, V] against targets [B, T] with label smoothing (PyTorch's:
// (1 - e) * NLL + e * the mean over the vocabulary of -log p), averaged over non-<pad> targets.
at::Tensor caption_loss(const at::Tensor& logits, const at::Tensor& targets,
                        double label_smoothing);

// Captioning for the generic trainer: teacher forcing on one reference per image, and on the
// validation split the loss (against each image's first reference) plus the greedy captions
// of every image scored against all its references: BLEU-4, CIDEr-D and ROUGE-L.
class CaptioningTask : public TrainingTask {
 public:
  CaptioningTask(CaptionModel model, std::shared_ptr<const Tokenizer> tokenizer, CaptionData& data,
                 double label_smoothing, c10::Device device);

  torch::nn::Module& model() override { return *model_; }
  int64_t batches_per_epoch() override { return data_.train_batches(); }
  void start_epoch(int64_t epoch, int64_t first_batch) override {
    data_.start_epoch(epoch, first_batch);
  }
  at::Tensor train_step(std::map<std::string, double>& logs) override;
  std::vector<std::pair<std::string, double>> validate() override;
  std::string best_metric() const override { return "CIDEr-D"; }
  void save_preview(const std::string& path_stem) override;
  std::vector<std::string> vocabulary() const override { return tokenizer_->to_vocabulary(); }

 private:
  // The greedy captions of images already on the device, from their encoder memory.
  std::vector<std::string> greedy_captions(const at::Tensor& memory);

  CaptionModel model_;
  std::shared_ptr<const Tokenizer> tokenizer_;
  CaptionData& data_;
  double label_smoothing_;
  c10::Device device_;
  DecodingOptions greedy_;
};

}  // namespace vedkit
