#include "text/captioning_task.h"

#include <torch/torch.h>

#include "text/caption_step_model.h"
#include "text/metrics/caption_scores.h"

namespace vedkit {

at::Tensor caption_token_batch(const Tokenizer& tokenizer, const std::vector<std::string>& captions,
                               int64_t max_length) {
  std::vector<std::vector<int64_t>> rows;
  size_t longest = 0;
  for (const auto& caption : captions) {
    auto ids = tokenizer.encode(caption);
    if (static_cast<int64_t>(ids.size()) > max_length - 1) ids.resize(max_length - 1);
    ids.insert(ids.begin(), tokenizer.bos_id());
    ids.push_back(tokenizer.eos_id());
    longest = std::max(longest, ids.size());
    rows.push_back(std::move(ids));
  }
  auto tokens = torch::full({static_cast<int64_t>(rows.size()), static_cast<int64_t>(longest)},
                            tokenizer.pad_id(), torch::kLong);
  for (size_t i = 0; i < rows.size(); ++i) {
    tokens[i]
        .narrow(0, 0, static_cast<int64_t>(rows[i].size()))
        .copy_(torch::tensor(rows[i], torch::kLong));
  }
  return tokens;
}

at::Tensor caption_loss(const at::Tensor& logits, const at::Tensor& targets,
                        double label_smoothing) {
  namespace F = torch::nn::functional;
  const int64_t vocab = logits.size(-1);
  return F::cross_entropy(
      logits.reshape({-1, vocab}).to(torch::kFloat), targets.reshape({-1}),
      F::CrossEntropyFuncOptions().ignore_index(0).label_smoothing(label_smoothing));
}

CaptioningTask::CaptioningTask(CaptionModel model, std::shared_ptr<const Tokenizer> tokenizer,
                               CaptionData& data, double label_smoothing, c10::Device device)
    : model_(std::move(model)),
      tokenizer_(std::move(tokenizer)),
      data_(data),
      label_smoothing_(label_smoothing),
      device_(device) {
  model_->to(device_);
  greedy_.method = "greedy";
  greedy_.max_length = model_->decoder()->options().max_length();
}

at::Tensor CaptioningTask::train_step(std::map<std::string, double>& logs) {
  const auto batch = data_.next_train_batch();
  const auto max_length = model_->decoder()->options().max_length();
  const auto tokens = caption_token_batch(*tokenizer_, batch.captions, max_length).to(device_);
  const auto inputs = tokens.narrow(1, 0, tokens.size(1) - 1);
  const auto targets = tokens.narrow(1, 1, tokens.size(1) - 1);
  const auto logits = model_->forward(batch.images.to(device_), inputs);  // [B, T, vocab]
  {
    torch::NoGradGuard no_grad;
    const auto counted = targets != tokenizer_->pad_id();
    logs["token_accuracy"] = ((logits.argmax(-1) == targets) & counted).sum().item<double>() /
                             counted.sum().item<double>();
  }
  return caption_loss(logits, targets, label_smoothing_);
}

std::vector<std::string> CaptioningTask::greedy_captions(const at::Tensor& memory) {
  CaptionStepModel step_model(model_->decoder(), memory);
  std::vector<std::string> captions;
  for (const auto& hypothesis :
       decode(step_model, memory.size(0), tokenizer_->bos_id(), tokenizer_->eos_id(), greedy_)) {
    captions.push_back(tokenizer_->decode(hypothesis.tokens));
  }
  return captions;
}

std::vector<std::pair<std::string, double>> CaptioningTask::validate() {
  torch::NoGradGuard no_grad;
  const auto max_length = model_->decoder()->options().max_length();
  std::vector<std::string> generated;
  std::vector<std::vector<std::string>> references;
  double loss_sum = 0;
  for (int64_t i = 0; i < data_.val_batches(); ++i) {
    auto batch = data_.val_batch(i);
    const auto memory = model_->encode(batch.images.to(device_));
    std::vector<std::string> firsts;
    for (const auto& captions : batch.references) firsts.push_back(captions.front());
    const auto tokens = caption_token_batch(*tokenizer_, firsts, max_length).to(device_);
    const auto logits = model_->decoder()->forward(tokens.narrow(1, 0, tokens.size(1) - 1), memory);
    loss_sum += caption_loss(logits, tokens.narrow(1, 1, tokens.size(1) - 1), label_smoothing_)
                    .item<double>() *
                memory.size(0);
    const auto captions = greedy_captions(memory);
    generated.insert(generated.end(), captions.begin(), captions.end());
    references.insert(references.end(), std::make_move_iterator(batch.references.begin()),
                      std::make_move_iterator(batch.references.end()));
  }
  if (generated.empty()) return {};
  const auto scores = score_captions(generated, references);
  return {{"val_loss", loss_sum / static_cast<double>(generated.size())},
          {"BLEU-4", scores.bleu[3]},
          {"CIDEr-D", scores.cider_d},
          {"ROUGE-L", scores.rouge_l}};
}

void CaptioningTask::save_preview(const std::string& path_stem) {
  if (data_.val_batches() == 0) return;
  torch::NoGradGuard no_grad;
  auto images = data_.val_batch(0).images;
  images = images.narrow(0, 0, std::min<int64_t>(8, images.size(0)));
  const auto captions = greedy_captions(model_->encode(images.to(device_)));
  data_.write_preview(path_stem + ".png", images, captions);
}

}  // namespace vedkit
