#include "text/decoding.h"

#include <ATen/CPUGeneratorImpl.h>
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <map>
#include <set>

#include "core/error.h"
#include "tests/support/error_of.h"
#include "text/caption_model.h"
#include "text/caption_step_model.h"

namespace vedkit {
namespace {

using Sequence = std::vector<int64_t>;
constexpr int64_t kBos = 1, kEos = 2, kA = 3, kB = 4, kC = 5;

// Next-token probabilities looked up by the tokens generated so far; other prefixes use
// `fallback`. Every row starts with an empty prefix.
class TableModel : public StepModel {
 public:
  TableModel(std::map<Sequence, std::map<int64_t, double>> table,
             std::map<int64_t, double> fallback = {{kEos, 1.0}}, int64_t rows = 1)
      : table_(std::move(table)), fallback_(std::move(fallback)), prefixes_(rows) {}

  torch::Tensor next_log_probs(const torch::Tensor& last_tokens) override {
    ++calls;
    auto out = torch::full({last_tokens.size(0), 6}, -INFINITY);
    for (int64_t r = 0; r < last_tokens.size(0); ++r) {
      auto& prefix = prefixes_[r];
      if (last_tokens[r].item<int64_t>() != kBos) prefix.push_back(last_tokens[r].item<int64_t>());
      const auto found = table_.find(prefix);
      for (const auto& [token, p] : found == table_.end() ? fallback_ : found->second) {
        out[r][token] = std::log(p);
      }
    }
    return out;
  }

  void reorder(const torch::Tensor& index) override {
    std::vector<Sequence> moved;
    for (int64_t i = 0; i < index.size(0); ++i)
      moved.push_back(prefixes_[index[i].item<int64_t>()]);
    prefixes_ = std::move(moved);
  }

  int calls = 0;

 private:
  std::map<Sequence, std::map<int64_t, double>> table_;
  std::map<int64_t, double> fallback_;
  std::vector<Sequence> prefixes_;
};

// Random but fixed log-probabilities for each (image, prefix), <eos> likelier as the prefix
// grows; its attention is one-hot at grid_cell(image, prefix).
class RandomModel : public StepModel {
 public:
  static constexpr int64_t kVocab = 12, kGrid = 5;

  explicit RandomModel(std::vector<int64_t> images)
      : images_(std::move(images)), prefixes_(images_.size()) {}

  static int64_t grid_cell(int64_t image, const Sequence& prefix) {
    int64_t sum = image + static_cast<int64_t>(prefix.size());
    for (int64_t t : prefix) sum += t;
    return sum % kGrid;
  }

  torch::Tensor next_log_probs(const torch::Tensor& last_tokens) override {
    std::vector<torch::Tensor> rows, attention;
    for (size_t r = 0; r < images_.size(); ++r) {
      auto& prefix = prefixes_[r];
      if (last_tokens[r].item<int64_t>() != kBos) prefix.push_back(last_tokens[r].item<int64_t>());
      uint64_t seed = 1000003 * static_cast<uint64_t>(images_[r] + 1);
      for (int64_t t : prefix) seed = seed * 31 + static_cast<uint64_t>(t);
      auto logits = 2 * torch::randn({kVocab}, at::detail::createCPUGenerator(seed));
      logits[kEos] += 0.7 * static_cast<double>(prefix.size()) - 2.0;
      logits[0] = -INFINITY;
      logits[kBos] = -INFINITY;
      rows.push_back(logits.log_softmax(0));
      attention.push_back(
          torch::one_hot(torch::tensor(grid_cell(images_[r], prefix)), kGrid).to(torch::kFloat));
    }
    attention_ = torch::stack(attention);
    return torch::stack(rows);
  }

  void reorder(const torch::Tensor& index) override {
    std::vector<int64_t> images;
    std::vector<Sequence> prefixes;
    for (int64_t i = 0; i < index.size(0); ++i) {
      images.push_back(images_[index[i].item<int64_t>()]);
      prefixes.push_back(prefixes_[index[i].item<int64_t>()]);
    }
    images_ = std::move(images);
    prefixes_ = std::move(prefixes);
  }

  torch::Tensor last_attention() const override { return attention_; }

 private:
  std::vector<int64_t> images_;
  std::vector<Sequence> prefixes_;
  torch::Tensor attention_;
};

DecodingOptions options_for(const std::string& method) {
  DecodingOptions options;
  options.method = method;
  return options;
}

std::vector<Hypothesis> run(StepModel&& model, int64_t batch, const DecodingOptions& options) {
  return decode(model, batch, kBos, kEos, options);
}

// Greedy takes a (0.5) and then ends (0.4): P 0.2. b then <eos> has P 0.4 * 0.9 = 0.36.
const std::map<Sequence, std::map<int64_t, double>> kGreedyTrap = {
    {{}, {{kA, 0.5}, {kB, 0.4}, {kC, 0.1}}},
    {{kA}, {{kEos, 0.4}, {kA, 0.3}, {kB, 0.2}, {kC, 0.1}}},
    {{kB}, {{kEos, 0.9}, {kA, 0.05}, {kB, 0.05}}}};

TEST(BeamSearch, FindsTheSequenceGreedyMisses) {
  const auto greedy = run(TableModel(kGreedyTrap), 1, options_for("greedy"));
  EXPECT_EQ(greedy[0].tokens, (Sequence{kA}));
  EXPECT_NEAR(greedy[0].log_prob, std::log(0.2), 1e-6);

  auto options = options_for("beam");
  options.beam_size = 2;
  options.max_length = 10;
  TableModel model(kGreedyTrap);
  const auto beam = decode(model, 1, kBos, kEos, options);
  EXPECT_EQ(beam[0].tokens, (Sequence{kB}));
  EXPECT_NEAR(beam[0].log_prob, std::log(0.36), 1e-6);
  EXPECT_NEAR(beam[0].score, std::log(0.36), 1e-6);
  // Both beams ended at step 2 (b, a) and no live beam (a a: 0.15) can beat them.
  EXPECT_EQ(model.calls, 2);
}

TEST(BeamSearch, LengthPenaltyFavoursLongerCaptions) {
  // a: 0.7 * 0.55 = 0.385 (length 2 with <eos>); a b: 0.7 * 0.45 = 0.315 (length 3).
  const std::map<Sequence, std::map<int64_t, double>> table = {{{}, {{kA, 0.7}, {kB, 0.3}}},
                                                               {{kA}, {{kEos, 0.55}, {kB, 0.45}}}};
  auto options = options_for("beam");
  options.beam_size = 2;
  const auto plain = run(TableModel(table), 1, options);
  EXPECT_EQ(plain[0].tokens, (Sequence{kA}));
  EXPECT_NEAR(plain[0].score, std::log(0.385), 1e-6);

  options.length_penalty = 2.0;  // a: -0.70, a b: -0.65
  const auto penalised = run(TableModel(table), 1, options);
  EXPECT_EQ(penalised[0].tokens, (Sequence{kA, kB}));
  EXPECT_NEAR(penalised[0].log_prob, std::log(0.315), 1e-6);
  EXPECT_NEAR(penalised[0].score, std::log(0.315) / std::pow(8.0 / 6.0, 2.0), 1e-6);
  EXPECT_DOUBLE_EQ(length_penalty(3, 2.0), std::pow(8.0 / 6.0, 2.0));
}

TEST(Decoding, NoRepeatNgramBlocksARepeat) {
  const std::map<int64_t, double> repeater = {{kA, 0.6}, {kB, 0.3}, {kEos, 0.1}};
  auto options = options_for("greedy");
  options.max_length = 4;
  EXPECT_EQ(run(TableModel({}, repeater), 1, options)[0].tokens, (Sequence{kA, kA, kA, kA}));
  options.no_repeat_ngram = 1;
  EXPECT_EQ(run(TableModel({}, repeater), 1, options)[0].tokens, (Sequence{kA, kB}));
  options.no_repeat_ngram = 2;
  EXPECT_EQ(run(TableModel({}, repeater), 1, options)[0].tokens, (Sequence{kA, kA, kB, kA}));
  // Beam search ranks whole sequences; with <eos> unlikely it fills max_length, repeating no
  // bigram (a a b a and a b a a tie).
  options.method = "beam";
  const auto beam = run(TableModel({}, {{kA, 0.6}, {kB, 0.39}, {kEos, 0.01}}), 1, options)[0];
  EXPECT_NEAR(beam.log_prob, std::log(0.6 * 0.6 * 0.39 * 0.6), 1e-6);
  std::set<Sequence> bigrams;
  for (size_t i = 0; i + 1 < beam.tokens.size(); ++i) {
    EXPECT_TRUE(bigrams.insert({beam.tokens[i], beam.tokens[i + 1]}).second);
  }

  auto log_probs = torch::zeros({2, 6});
  block_repeated_ngrams(log_probs, {{kA, kB, kA}, {kA, kB, kC}}, 2);
  EXPECT_TRUE(std::isinf(log_probs[0][kB].item<float>()));
  EXPECT_EQ(log_probs.isinf().sum().item<int64_t>(), 1);
}

TEST(Sampling, TopKOneOrALowTemperatureEqualsGreedy) {
  const std::vector<int64_t> images = {0, 1, 2, 3};
  const auto greedy = run(RandomModel(images), 4, options_for("greedy"));
  for (int variant = 0; variant < 3; ++variant) {
    auto options = options_for("sample");
    options.seed = 7;
    if (variant == 0) options.top_k = 1;
    if (variant == 1) options.temperature = 1e-3;
    if (variant == 2) options.top_p = 1e-6;
    const auto sampled = run(RandomModel(images), 4, options);
    for (size_t i = 0; i < images.size(); ++i) {
      EXPECT_EQ(sampled[i].tokens, greedy[i].tokens) << "variant " << variant;
      EXPECT_NEAR(sampled[i].log_prob, greedy[i].log_prob, 1e-9) << "variant " << variant;
    }
  }
}

TEST(Sampling, IsSeededAndTopKTopPKeepTheLikeliestTokens) {
  const std::vector<int64_t> images = {0, 1, 2, 3, 4, 5, 6, 7};
  auto options = options_for("sample");
  options.seed = 1;
  const auto first = run(RandomModel(images), 8, options);
  const auto again = run(RandomModel(images), 8, options);
  options.seed = 2;
  const auto other = run(RandomModel(images), 8, options);
  bool differs = false;
  for (size_t i = 0; i < images.size(); ++i) {
    EXPECT_EQ(first[i].tokens, again[i].tokens);
    differs = differs || first[i].tokens != other[i].tokens;
  }
  EXPECT_TRUE(differs);

  // One step over a: 0.5, b: 0.3, c: 0.2 for 400 rows.
  const std::map<Sequence, std::map<int64_t, double>> table = {
      {{}, {{kA, 0.5}, {kB, 0.3}, {kC, 0.2}}}};
  const auto drawn = [&](DecodingOptions o) {
    o.method = "sample";
    o.max_length = 1;
    std::set<int64_t> tokens;
    for (const auto& h : run(TableModel(table, {}, 400), 400, o)) {
      tokens.insert(h.tokens.at(0));
      EXPECT_NEAR(h.log_prob,
                  std::log(h.tokens[0] == kA   ? 0.5
                           : h.tokens[0] == kB ? 0.3
                                               : 0.2),
                  1e-6);
    }
    return tokens;
  };
  DecodingOptions plain, nucleus, top_two, hot;
  nucleus.top_p = 0.6;  // a and b: c comes after 0.8
  top_two.top_k = 2;
  hot.temperature = 5.0;
  EXPECT_EQ(drawn(plain), (std::set<int64_t>{kA, kB, kC}));
  EXPECT_EQ(drawn(nucleus), (std::set<int64_t>{kA, kB}));
  EXPECT_EQ(drawn(top_two), (std::set<int64_t>{kA, kB}));
  EXPECT_EQ(drawn(hot), (std::set<int64_t>{kA, kB, kC}));
}

TEST(Decoding, BatchedEqualsOneImageAtATime) {
  const std::vector<int64_t> images = {0, 1, 2, 3, 4};
  for (const std::string method : {"greedy", "beam"}) {
    auto options = options_for(method);
    options.beam_size = 3;
    options.attention = true;
    const auto batched = run(RandomModel(images), 5, options);
    for (int64_t image : images) {
      const auto alone = run(RandomModel({image}), 1, options)[0];
      EXPECT_EQ(batched[image].tokens, alone.tokens) << method << " image " << image;
      EXPECT_DOUBLE_EQ(batched[image].log_prob, alone.log_prob) << method << " image " << image;
      ASSERT_EQ(batched[image].attention.defined(), alone.attention.defined());
      if (alone.attention.defined()) {
        EXPECT_TRUE(batched[image].attention.equal(alone.attention));
      }
    }
  }
}

TEST(Decoding, AttentionFollowsTheChosenSequence) {
  for (const std::string method : {"greedy", "beam"}) {
    auto options = options_for(method);
    options.beam_size = 4;
    options.attention = true;
    const auto hypotheses = run(RandomModel({0, 1, 2}), 3, options);
    for (int64_t image = 0; image < 3; ++image) {
      const auto& h = hypotheses[image];
      ASSERT_FALSE(h.tokens.empty());
      ASSERT_EQ(h.attention.sizes(),
                (torch::IntArrayRef{static_cast<int64_t>(h.tokens.size()), RandomModel::kGrid}));
      for (size_t t = 0; t < h.tokens.size(); ++t) {
        const Sequence prefix(h.tokens.begin(), h.tokens.begin() + t);
        EXPECT_EQ(h.attention[t].argmax().item<int64_t>(), RandomModel::grid_cell(image, prefix))
            << method << " image " << image << " token " << t;
      }
    }
  }
}

TEST(DecodingConfig, ReadsAndChecksItsKeys) {
  auto config = Config::from_text(
      "decoding: {method: beam, beam_size: 5, length_penalty: 0.6, max_length: 16, "
      "no_repeat_ngram: 3, top_k: 10, top_p: 0.9, temperature: 0.7, seed: 4}\n",
      "d.yaml");
  const auto options = read_decoding_options(config.section("decoding"));
  EXPECT_EQ(options.method, "beam");
  EXPECT_EQ(options.beam_size, 5);
  EXPECT_DOUBLE_EQ(options.length_penalty, 0.6);
  EXPECT_EQ(options.max_length, 16);
  EXPECT_EQ(options.no_repeat_ngram, 3);
  EXPECT_EQ(options.top_k, 10);
  EXPECT_DOUBLE_EQ(options.top_p, 0.9);
  EXPECT_DOUBLE_EQ(options.temperature, 0.7);
  EXPECT_EQ(options.seed, 4);
  auto bad = Config::from_text("decoding: {method: topk}\n", "d.yaml");
  const auto message =
      testing::error_of<ConfigError>([&] { read_decoding_options(bad.section("decoding")); });
  EXPECT_NE(message.find("decoding.method: expected one of"), std::string::npos) << message;
}

// Greedy decoding through the decoder's cache picks, at every position, the argmax of the
// teacher-forced logits of its own caption, and sums their log-probabilities.
TEST(CaptionDecoding, GreedyAgreesWithTeacherForcing) {
  torch::manual_seed(5);
  auto config = Config::from_text(
      "model:\n  encoder: {type: vit, preset: tiny, depth: 2, image_size: 64}\n"
      "  decoder: {width: 32, layers: 2, heads: 4, ffn_width: 64, max_length: 12}\n",
      "m.yaml");
  auto model = build_caption_model(config.section("model"), 16);
  model->prepare_for_inference();
  const auto images = torch::rand({3, 3, 64, 64});
  auto options = options_for("greedy");
  options.max_length = 11;
  options.attention = true;
  const auto captions = caption_images(*model, images, kBos, kEos, options);
  torch::InferenceMode inference;
  for (int64_t i = 0; i < 3; ++i) {
    const auto& h = captions[i];
    Sequence input = {kBos};
    input.insert(input.end(), h.tokens.begin(), h.tokens.end());
    const auto log_probs = model->forward(images.narrow(0, i, 1), torch::tensor(input).unsqueeze(0))
                               .log_softmax(-1)[0];  // [T, V]
    Sequence expected;
    double total = 0.0;
    for (int64_t t = 0; t < std::min<int64_t>(log_probs.size(0), options.max_length); ++t) {
      const int64_t token = log_probs[t].argmax().item<int64_t>();
      total += log_probs[t][token].item<double>();
      if (token == kEos) break;
      expected.push_back(token);
    }
    EXPECT_EQ(h.tokens, expected);
    EXPECT_NEAR(h.log_prob, total, 1e-4);
    EXPECT_EQ(h.attention.size(1), 16);  // ViT patches of 64x64
  }
  options.method = "beam";
  options.beam_size = 1;
  const auto beam = caption_images(*model, images, kBos, kEos, options);
  for (int64_t i = 0; i < 3; ++i) EXPECT_EQ(beam[i].tokens, captions[i].tokens);
}

}  // namespace
}  // namespace vedkit
