#include <torch/torch.h>

#include <algorithm>
#include <limits>

#include "text/decoding.h"

namespace vedkit {
namespace {

struct Beam {
  std::vector<int64_t> tokens;
  double log_prob = 0.0;
  std::vector<torch::Tensor> attention;  // [N] per token, when kept
};

constexpr double kMinusInfinity = -std::numeric_limits<double>::infinity();

// The best `keep` finished hypotheses of one row, best first.
class FinishedList {
 public:
  FinishedList(int64_t keep, double alpha) : keep_(keep), alpha_(alpha) {}

  void add(Beam beam, bool ended_with_eos) {
    Hypothesis hypothesis;
    const auto length = static_cast<int64_t>(beam.tokens.size()) + (ended_with_eos ? 1 : 0);
    hypothesis.score = beam.log_prob / length_penalty(length, alpha_);
    hypothesis.log_prob = beam.log_prob;
    hypothesis.tokens = std::move(beam.tokens);
    if (!beam.attention.empty()) hypothesis.attention = torch::stack(beam.attention);
    const auto at = std::find_if(list_.begin(), list_.end(), [&](const Hypothesis& other) {
      return other.score < hypothesis.score;
    });
    list_.insert(at, std::move(hypothesis));
    if (static_cast<int64_t>(list_.size()) > keep_) list_.pop_back();
  }

  // True when no live beam of log P best_live and `length` tokens so far could enter the list.
  bool closed(double best_live, int64_t length) const {
    return static_cast<int64_t>(list_.size()) >= keep_ &&
           best_live / length_penalty(length + 1, alpha_) <= list_.back().score;
  }

  Hypothesis best() const { return list_.empty() ? Hypothesis{} : list_.front(); }

 private:
  int64_t keep_;
  double alpha_;
  std::vector<Hypothesis> list_;
};

}  // namespace

std::vector<Hypothesis> beam_search(StepModel& model, int64_t batch_size, int64_t bos, int64_t eos,
                                    const DecodingOptions& options) {
  const int64_t beams_per_row = options.beam_size;
  std::vector<FinishedList> finished(batch_size,
                                     FinishedList(beams_per_row, options.length_penalty));
  std::vector<int64_t> images(batch_size);  // live rows; model row i*K + k is beam k of images[i]
  std::vector<Beam> beams;
  for (int64_t b = 0; b < batch_size; ++b) {
    images[b] = b;
    // Only beam 0 is live at first, so the first step does not pick one token K times.
    for (int64_t k = 0; k < beams_per_row; ++k)
      beams.push_back({{}, k == 0 ? 0.0 : kMinusInfinity, {}});
  }
  model.reorder(torch::arange(batch_size).repeat_interleave(beams_per_row));
  auto last = torch::full({batch_size * beams_per_row}, bos, torch::kLong);

  for (int64_t step = 0; step < options.max_length && !images.empty(); ++step) {
    std::vector<std::vector<int64_t>> sequences;
    for (const auto& beam : beams) sequences.push_back(beam.tokens);
    const auto [log_probs, scores, attention_now] = next_step_scores(model, last, options, sequences);
    std::vector<double> beam_log_probs;
    for (const auto& beam : beams) beam_log_probs.push_back(beam.log_prob);
    const int64_t vocab = log_probs.size(1);
    const auto total =
        (scores.to(torch::kDouble) + torch::tensor(beam_log_probs, torch::kDouble).unsqueeze(1))
            .view({static_cast<int64_t>(images.size()), beams_per_row * vocab});
    const auto [top_values, top_indices] =
        total.topk(std::min(2 * beams_per_row, beams_per_row * vocab), 1);  // [I, 2K]
    const auto values_at = top_values.accessor<double, 2>();
    const auto indices_at = top_indices.accessor<int64_t, 2>();

    std::vector<Beam> next_beams;
    std::vector<int64_t> next_images, source_rows, next_tokens;
    for (size_t i = 0; i < images.size(); ++i) {
      auto& done = finished[images[i]];
      std::vector<Beam> chosen;
      std::vector<int64_t> rows, tokens;
      for (int64_t j = 0;
           j < top_values.size(1) && static_cast<int64_t>(chosen.size()) < beams_per_row; ++j) {
        if (values_at[i][j] == kMinusInfinity) break;
        const int64_t row = static_cast<int64_t>(i) * beams_per_row + indices_at[i][j] / vocab;
        const int64_t token = indices_at[i][j] % vocab;
        Beam beam{beams[row].tokens, values_at[i][j], beams[row].attention};
        if (token == eos) {
          if (j < beams_per_row) done.add(std::move(beam), true);
          continue;
        }
        beam.tokens.push_back(token);
        if (attention_now.defined()) beam.attention.push_back(attention_now[row]);
        chosen.push_back(std::move(beam));
        rows.push_back(row);
        tokens.push_back(token);
      }
      if (chosen.empty() || done.closed(chosen.front().log_prob, step + 1)) continue;
      while (static_cast<int64_t>(chosen.size()) < beams_per_row) {  // dead beams fill the row
        chosen.push_back({{}, kMinusInfinity, {}});
        rows.push_back(rows.front());
        tokens.push_back(eos);
      }
      next_images.push_back(images[i]);
      for (auto& beam : chosen) next_beams.push_back(std::move(beam));
      source_rows.insert(source_rows.end(), rows.begin(), rows.end());
      next_tokens.insert(next_tokens.end(), tokens.begin(), tokens.end());
    }
    beams = std::move(next_beams);
    images = std::move(next_images);
    if (images.empty()) break;
    model.reorder(torch::tensor(source_rows, torch::kLong));
    last = torch::tensor(next_tokens, torch::kLong);
  }

  // Rows still live at max_length: their beams end there, without <eos>.
  for (size_t i = 0; i < images.size(); ++i) {
    for (int64_t k = 0; k < beams_per_row; ++k) {
      auto& beam = beams[i * beams_per_row + k];
      if (beam.log_prob != kMinusInfinity) finished[images[i]].add(std::move(beam), false);
    }
  }
  std::vector<Hypothesis> out;
  for (const auto& list : finished) out.push_back(list.best());
  return out;
}

}  // namespace vedkit
