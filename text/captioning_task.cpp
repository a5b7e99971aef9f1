#include "text/captioning_task.h"

#include <torch/torch.h>

#include <algorithm>
#include <cstdio>

#include "core/distributed.h"
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
  double tokens_counted = 0;
  {
    torch::NoGradGuard no_grad;
    const auto counted = targets != tokenizer_->pad_id();
    tokens_counted = counted.sum().item<double>();
    logs["token_accuracy"] =
        ((logits.argmax(-1) == targets) & counted).sum().item<double>() / tokens_counted;
  }
  return caption_loss(logits, targets, label_smoothing_) * mean_share(tokens_counted);
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

namespace {

// A validation batch's captions, references and summed loss, and what carries them between
// ranks: length-prefixed strings, so any caption text survives.
struct ScoredBatch {
  int64_t index = 0;
  double loss_sum = 0;
  std::vector<std::string> generated;
  std::vector<std::vector<std::string>> references;
};

void put(std::string& out, const std::string& text) {
  out += std::to_string(text.size()) + ":" + text;
}

std::string take(const std::string& in, size_t& at) {
  const size_t colon = in.find(':', at);
  const size_t length = std::stoull(in.substr(at, colon - at));
  at = colon + 1 + length;
  return in.substr(colon + 1, length);
}

std::string encode(const std::vector<ScoredBatch>& batches) {
  std::string out;
  for (const auto& batch : batches) {
    char loss[32];
    std::snprintf(loss, sizeof loss, "%a", batch.loss_sum);
    put(out, std::to_string(batch.index));
    put(out, loss);
    put(out, std::to_string(batch.generated.size()));
    for (size_t i = 0; i < batch.generated.size(); ++i) {
      put(out, batch.generated[i]);
      put(out, std::to_string(batch.references[i].size()));
      for (const auto& reference : batch.references[i]) put(out, reference);
    }
  }
  return out;
}

void decode(const std::string& in, std::vector<ScoredBatch>& batches) {
  for (size_t at = 0; at < in.size();) {
    ScoredBatch batch;
    batch.index = std::stoll(take(in, at));
    batch.loss_sum = std::strtod(take(in, at).c_str(), nullptr);
    const size_t count = std::stoull(take(in, at));
    for (size_t i = 0; i < count; ++i) {
      batch.generated.push_back(take(in, at));
      batch.references.emplace_back(std::stoull(take(in, at)));
      for (auto& reference : batch.references.back()) reference = take(in, at);
    }
    batches.push_back(std::move(batch));
  }
}

// Every rank's batches, in batch order: the captions a single process would have.
std::vector<ScoredBatch> gathered(std::vector<ScoredBatch> mine, RankGroup* group) {
  if (group == nullptr) return mine;
  std::vector<ScoredBatch> all;
  for (const auto& part : group->all_gather(encode(mine))) decode(part, all);
  std::sort(all.begin(), all.end(),
            [](const ScoredBatch& a, const ScoredBatch& b) { return a.index < b.index; });
  return all;
}

}  // namespace

std::vector<std::pair<std::string, double>> CaptioningTask::validate() {
  torch::NoGradGuard no_grad;
  const auto max_length = model_->decoder()->options().max_length();
  // Each rank captions its share of the batches; the captions are gathered on every rank.
  std::vector<ScoredBatch> scored;
  for (const int64_t i : current_shard().val_batches(data_.val_batches())) {
    auto batch = data_.val_batch(i);
    const auto memory = model_->encode(batch.images.to(device_));
    std::vector<std::string> firsts;
    for (const auto& captions : batch.references) firsts.push_back(captions.front());
    const auto tokens = caption_token_batch(*tokenizer_, firsts, max_length).to(device_);
    const auto logits = model_->decoder()->forward(tokens.narrow(1, 0, tokens.size(1) - 1), memory);
    ScoredBatch result;
    result.index = i;
    result.loss_sum =
        caption_loss(logits, tokens.narrow(1, 1, tokens.size(1) - 1), label_smoothing_).item<double>() *
        static_cast<double>(memory.size(0));
    result.generated = greedy_captions(memory);
    result.references = std::move(batch.references);
    scored.push_back(std::move(result));
  }
  std::vector<std::string> generated;
  std::vector<std::vector<std::string>> references;
  double loss_sum = 0;
  for (auto& batch : gathered(std::move(scored), current_group())) {
    loss_sum += batch.loss_sum;
    generated.insert(generated.end(), batch.generated.begin(), batch.generated.end());
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
