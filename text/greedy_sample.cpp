#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

#include <limits>
#include <numeric>

#include "text/decoding.h"

namespace vedkit {
namespace {

// scores [B, V] (log-probabilities, blocked tokens -inf) -> one sampled token per row [B].
torch::Tensor sample(torch::Tensor scores, const DecodingOptions& options,
                     at::Generator& generator) {
  const float minus_infinity = -std::numeric_limits<float>::infinity();
  scores = scores / options.temperature;
  if (options.top_k > 0 && options.top_k < scores.size(1)) {
    const auto kth = std::get<0>(scores.topk(options.top_k, 1)).narrow(1, options.top_k - 1, 1);
    scores = scores.masked_fill(scores < kth, minus_infinity);  // [B, V], kth [B, 1]
  }
  if (options.top_p < 1.0) {
    const auto [sorted, order] = scores.sort(1, /*descending=*/true);
    const auto probabilities = sorted.softmax(1);
    // A token stays when the likelier tokens before it hold less than top_p.
    const auto ahead = probabilities.cumsum(1) - probabilities;
    scores = scores.scatter(1, order, sorted.masked_fill(ahead >= options.top_p, minus_infinity));
  }
  return torch::multinomial(scores.softmax(1), 1, /*replacement=*/false, generator).squeeze(1);
}

}  // namespace

std::vector<Hypothesis> greedy_or_sample(StepModel& model, int64_t batch_size, int64_t bos,
                                         int64_t eos, const DecodingOptions& options) {
  const bool sampling = options.method == "sample";
  auto generator = at::detail::createCPUGenerator(static_cast<uint64_t>(options.seed));
  std::vector<Hypothesis> out(batch_size);
  std::vector<std::vector<torch::Tensor>> attention(batch_size);
  std::vector<bool> ended(batch_size, false);
  std::vector<int64_t> rows(batch_size);  // the model's rows -> batch entries
  std::iota(rows.begin(), rows.end(), 0);
  auto last = torch::full({batch_size}, bos, torch::kLong);

  for (int64_t step = 0; step < options.max_length && !rows.empty(); ++step) {
    std::vector<std::vector<int64_t>> sequences;
    for (int64_t row : rows) sequences.push_back(out[row].tokens);
    const auto [log_probs, scores, attention_now] = next_step_scores(model, last, options, sequences);
    const auto chosen = sampling ? sample(scores, options, generator) : scores.argmax(1);  // [R]
    const auto chosen_at = chosen.accessor<int64_t, 1>();
    const auto log_probs_at = log_probs.accessor<float, 2>();

    std::vector<int64_t> kept, kept_rows;
    for (size_t r = 0; r < rows.size(); ++r) {
      auto& hypothesis = out[rows[r]];
      const int64_t token = chosen_at[r];
      hypothesis.log_prob += log_probs_at[r][token];
      if (token == eos) {
        ended[rows[r]] = true;
        continue;
      }
      hypothesis.tokens.push_back(token);
      if (attention_now.defined()) attention[rows[r]].push_back(attention_now[r]);
      kept.push_back(static_cast<int64_t>(r));
      kept_rows.push_back(rows[r]);
    }
    if (kept.empty()) break;
    const auto index = torch::tensor(kept, torch::kLong);
    if (kept.size() < rows.size()) model.reorder(index);
    last = chosen.index_select(0, index);
    rows = std::move(kept_rows);
  }

  for (int64_t b = 0; b < batch_size; ++b) {
    auto& hypothesis = out[b];
    const auto length = static_cast<int64_t>(hypothesis.tokens.size()) + (ended[b] ? 1 : 0);
    hypothesis.score = hypothesis.log_prob / length_penalty(length, options.length_penalty);
    if (!attention[b].empty()) hypothesis.attention = torch::stack(attention[b]);
  }
  return out;
}

}  // namespace vedkit
