#pragma once

#include <torch/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "core/config.h"

namespace vedkit {

// What decoding needs from a model: one step of next-token log-probabilities for every row,
// and a way to reorder (or repeat) rows. A caption decoder with its cache implements it
// (caption_step_model.h); tests use small hand-built ones.
class StepModel {
 public:
  virtual ~StepModel() = default;
  // The last token of every row [B] (int64, on the CPU) -> log-probabilities [B, V].
  virtual torch::Tensor next_log_probs(const torch::Tensor& last_tokens) = 0;
  // Keeps rows index [B'] (int64, on the CPU), in that order; an index may repeat.
  virtual void reorder(const torch::Tensor& index) = 0;
  // The cross-attention [B, N] of the last next_log_probs call; undefined when not kept.
  virtual torch::Tensor last_attention() const { return {}; }
};

struct DecodingOptions {
  std::string method = "greedy";  // greedy | beam | sample
  int64_t beam_size = 3;
  // GNMT's (Wu et al. 2016): a sequence scores log P / ((5 + length) / 6)^length_penalty,
  // length counting its tokens and <eos>. 0 ranks by log P alone.
  double length_penalty = 0.0;
  int64_t max_length = 20;  // generated tokens, <eos> included
  // n > 0: no n-gram of generated tokens appears twice.
  int64_t no_repeat_ngram = 0;
  int64_t top_k = 0;         // sample: keep the k likeliest tokens; 0 keeps all
  double top_p = 1.0;        // sample: keep the smallest set with this much probability
  double temperature = 1.0;  // sample: divides the log-probabilities
  int64_t seed = 0;          // sample
  // Keep each chosen token's cross-attention; set by the caller, not read from a config.
  bool attention = false;
};

// Reads method, beam_size, length_penalty, max_length, no_repeat_ngram, top_k, top_p,
// temperature and seed; a bad value is a ConfigError at its key.
DecodingOptions read_decoding_options(ConfigSection section);

struct Hypothesis {
  std::vector<int64_t> tokens;  // without <bos> and <eos>
  double log_prob = 0.0;        // the model's log P of the tokens and <eos> (when it came)
  double score = 0.0;           // log_prob / the length penalty, what beam search ranks by
  // [tokens, N] when asked for and the model gives it; undefined for an empty caption.
  torch::Tensor attention;
};

// Decodes batch_size rows (the model's current batch) from <bos>, one Hypothesis per row.
// The model's rows are reordered on the way; it is spent afterwards.
std::vector<Hypothesis> decode(StepModel& model, int64_t batch_size, int64_t bos, int64_t eos,
                               const DecodingOptions& options);

// One token per row per step: the likeliest (greedy) or a sample (top-k, top-p, temperature,
// seeded). Finished rows are dropped from the model's batch.
std::vector<Hypothesis> greedy_or_sample(StepModel& model, int64_t batch_size, int64_t bos,
                                         int64_t eos, const DecodingOptions& options);

// beam_size beams per row. A beam that emits <eos> becomes a finished hypothesis (among the
// best beam_size of its step only, as in Hugging Face's BeamSearchScorer); a row stops once
// it has beam_size of them and no live beam, ended now, would beat the worst (exact when
// length_penalty is 0). At max_length the live beams count as finished.
std::vector<Hypothesis> beam_search(StepModel& model, int64_t batch_size, int64_t bos, int64_t eos,
                                    const DecodingOptions& options);

// One step for rows whose generated tokens so far are `sequences`: the model's
// log-probabilities [R, V] (CPU, float), the scores to choose from (repeated n-grams blocked
// when options ask), and the cross-attention [R, N] when options.attention and the model give it.
struct StepScores {
  torch::Tensor log_probs, scores, attention;
};
StepScores next_step_scores(StepModel& model, const torch::Tensor& last_tokens,
                            const DecodingOptions& options,
                            const std::vector<std::vector<int64_t>>& sequences);

// ((5 + length) / 6)^alpha.
double length_penalty(int64_t length, double alpha);

// Sets log_probs[b, t] (CPU, float, [B, V]) to -inf where sequences[b] followed by t would
// repeat one of its n-grams.
void block_repeated_ngrams(torch::Tensor& log_probs,
                           const std::vector<std::vector<int64_t>>& sequences, int64_t n);

}  // namespace vedkit
