#include "text/decoding.h"

#include <torch/torch.h>

#include <cmath>
#include <limits>

namespace vedkit {

DecodingOptions read_decoding_options(ConfigSection section) {
  DecodingOptions o;
  o.method = section.get_string("method", o.method, {"greedy", "beam", "sample"});
  o.beam_size = section.get_int("beam_size", o.beam_size, {1, 64});
  o.length_penalty = section.get_real("length_penalty", o.length_penalty, {0.0, 10.0});
  o.max_length = section.get_int("max_length", o.max_length, {1, 4096});
  o.no_repeat_ngram = section.get_int("no_repeat_ngram", o.no_repeat_ngram, {0, 16});
  o.top_k = section.get_int("top_k", o.top_k, {0, 1 << 30});
  o.top_p = section.get_real("top_p", o.top_p, {1e-6, 1.0});
  o.temperature = section.get_real("temperature", o.temperature, {1e-3, 100.0});
  o.seed = section.get_int("seed", o.seed, {0, std::numeric_limits<int64_t>::max()});
  return o;
}

std::vector<Hypothesis> decode(StepModel& model, int64_t batch_size, int64_t bos, int64_t eos,
                               const DecodingOptions& options) {
  if (options.method == "beam") return beam_search(model, batch_size, bos, eos, options);
  return greedy_or_sample(model, batch_size, bos, eos, options);
}

StepScores next_step_scores(StepModel& model, const torch::Tensor& last_tokens,
                            const DecodingOptions& options,
                            const std::vector<std::vector<int64_t>>& sequences) {
  StepScores step;
  step.log_probs = model.next_log_probs(last_tokens).to(torch::kCPU, torch::kFloat);  // [R, V]
  if (options.attention) step.attention = model.last_attention();
  if (step.attention.defined()) step.attention = step.attention.to(torch::kCPU, torch::kFloat);
  step.scores = step.log_probs;
  if (options.no_repeat_ngram > 0) {
    step.scores = step.log_probs.clone();
    block_repeated_ngrams(step.scores, sequences, options.no_repeat_ngram);
  }
  return step;
}

double length_penalty(int64_t length, double alpha) {
  return std::pow((5.0 + static_cast<double>(length)) / 6.0, alpha);
}

void block_repeated_ngrams(torch::Tensor& log_probs,
                           const std::vector<std::vector<int64_t>>& sequences, int64_t n) {
  auto values = log_probs.accessor<float, 2>();
  for (size_t row = 0; row < sequences.size(); ++row) {
    const auto& sequence = sequences[row];
    const int64_t length = static_cast<int64_t>(sequence.size());
    // Every earlier n-gram whose first n-1 tokens equal the sequence's last n-1 tokens.
    for (int64_t start = 0; start + n <= length; ++start) {
      bool same = true;
      for (int64_t i = 0; i + 1 < n && same; ++i) {
        same = sequence[start + i] == sequence[length - n + 1 + i];
      }
      if (same) values[row][sequence[start + n - 1]] = -std::numeric_limits<float>::infinity();
    }
  }
}

}  // namespace vedkit
