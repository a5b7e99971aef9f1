#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <fstream>
#include <map>
#include <sstream>
#include <stdexcept>

#include "tests/support/python_peer.h"
#include "tests/support/temp_dir.h"
#include "text/caption_words.h"
#include "text/metrics/bleu.h"
#include "text/metrics/caption_scores.h"
#include "text/metrics/cider.h"
#include "text/metrics/rouge.h"

namespace vedkit {
namespace {

using Corpus = std::pair<std::vector<Words>, std::vector<std::vector<Words>>>;

Words words(const std::string& caption) { return caption_words(caption); }

std::string joined(const Words& words) {
  std::string text;
  for (const auto& word : words) text += (text.empty() ? "" : " ") + word;
  return text;
}

// References: the sample scenes' captions, with a second (and third) wording for some images.
// Hypotheses: those captions perturbed as a captioner errs: a wrong class or relation, words
// dropped or repeated, truncated, rambling, and once empty.
Corpus sample_corpus() {
  std::ifstream in(std::string(VEDKIT_SOURCE_DIR) + "/datasets/samples/captions.tsv");
  std::vector<std::vector<Words>> references;
  for (std::string line; std::getline(in, line);) {
    references.push_back({words(line.substr(line.find('\t') + 1))});
  }
  references[0].push_back(words("an ankle boot under a sneaker and a shirt under a sneaker"));
  references[3].push_back(words("a dress under a bag and a sandal"));
  references[6].push_back(words("a dress and a sneaker with a coat on their right"));
  references[6].push_back(words("a coat right of a dress and a sneaker"));
  references[9].push_back(words("a sandal above a trouser"));
  references[13].push_back(words("an ankle boot and an ankle boot above a sneaker"));
  references[5].push_back(words("..."));  // empty once normalised
  std::vector<Words> hypotheses;
  for (size_t i = 0; i < references.size(); ++i) {
    Words hypothesis = references[i][0];
    switch (i % 7) {
      case 0:
        break;  // perfect
      case 1:
        hypothesis.back() = hypothesis.back() == "bag" ? "sandal" : "bag";
        break;
      case 2:
        hypothesis.resize(std::min<size_t>(hypothesis.size(), 3));
        break;
      case 3:
        hypothesis.insert(hypothesis.end(), {"on", "a", "white", "background"});
        break;
      case 4:
        std::reverse(hypothesis.begin(), hypothesis.end());
        break;
      case 5:
        hypothesis.insert(hypothesis.begin() + 1, std::string(hypothesis[0]));
        break;
      case 6:
        hypothesis = words("a shirt above a bag");
        break;
    }
    hypotheses.push_back(hypothesis);
  }
  hypotheses[20].clear();
  return {hypotheses, references};
}

using PeerScores = std::map<std::string, std::vector<double>>;

// The peer's scores of corpus: NLTK's BLEU, coco-caption's ROUGE-L and CIDEr-D; "bleu" is
// absent when NLTK is missing.
PeerScores peer_scores(const Corpus& corpus) {
  testing::TempDir dir;
  std::ofstream in(dir.file("in.tsv"));
  for (size_t i = 0; i < corpus.first.size(); ++i) {
    in << joined(corpus.first[i]);
    for (const auto& reference : corpus.second[i]) in << "\t" << joined(reference);
    in << "\n";
  }
  in.close();
  testing::run_peer("coco_caption_metrics.py " + dir.file("in.tsv") + " " + dir.file("out.txt"));
  PeerScores scores;
  std::ifstream out(dir.file("out.txt"));
  for (std::string line; std::getline(out, line);) {
    std::istringstream fields(line);
    std::string name;
    fields >> name;
    for (double value; fields >> value;) scores[name].push_back(value);
  }
  return scores;
}

class CaptionMetricsParity : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    corpus_ = sample_corpus();
    peer_ = peer_scores(corpus_);
  }
  void SetUp() override { ASSERT_TRUE(peer_.count("cider_d")) << "the peer wrote no scores"; }

  static Corpus corpus_;
  static PeerScores peer_;
};

Corpus CaptionMetricsParity::corpus_;
PeerScores CaptionMetricsParity::peer_;

TEST_F(CaptionMetricsParity, BleuMatchesNltkCorpusBleu) {
  if (!peer_.count("bleu")) GTEST_SKIP() << "python3-nltk is missing (scripts/setup.sh)";
  const auto bleu = corpus_bleu(corpus_.first, corpus_.second);
  for (int n = 0; n < 4; ++n) {
    EXPECT_NEAR(bleu[n], peer_["bleu"][n], 1e-6) << "BLEU-" << n + 1;
    EXPECT_GT(bleu[n], 0.2);
    EXPECT_LT(bleu[n], 0.95);
  }
}

TEST_F(CaptionMetricsParity, RougeLMatchesCocoCaption) {
  const auto& per_image = peer_["rouge_l_per_image"];
  ASSERT_EQ(per_image.size(), corpus_.first.size());
  for (size_t i = 0; i < corpus_.first.size(); ++i) {
    EXPECT_NEAR(rouge_l(corpus_.first[i], corpus_.second[i]), per_image[i], 1e-12) << "image " << i;
  }
  EXPECT_NEAR(corpus_rouge_l(corpus_.first, corpus_.second), peer_["rouge_l"][0], 1e-12);
}

TEST_F(CaptionMetricsParity, CiderDMatchesCocoCaption) {
  const auto scores = cider_d(corpus_.first, corpus_.second);
  const auto& per_image = peer_["cider_d_per_image"];
  ASSERT_EQ(scores.size(), per_image.size());
  for (size_t i = 0; i < scores.size(); ++i) {
    EXPECT_NEAR(scores[i], per_image[i], 1e-9) << "image " << i;
  }
  EXPECT_NEAR(corpus_cider_d(corpus_.first, corpus_.second), peer_["cider_d"][0], 1e-9);
}

TEST_F(CaptionMetricsParity, ScoreCaptionsNormalisesRawCaptions) {
  std::vector<std::string> hypotheses;
  std::vector<std::vector<std::string>> references;
  for (size_t i = 0; i < corpus_.first.size(); ++i) {
    std::string hypothesis = joined(corpus_.first[i]);
    if (!hypothesis.empty()) hypothesis[0] = static_cast<char>(std::toupper(hypothesis[0]));
    hypotheses.push_back(hypothesis + ".");
    references.emplace_back();
    for (const auto& reference : corpus_.second[i])
      references.back().push_back(joined(reference) + " !");
  }
  const auto scores = score_captions(hypotheses, references);
  EXPECT_EQ(scores.images, 36);
  EXPECT_EQ(scores.bleu, corpus_bleu(corpus_.first, corpus_.second));
  EXPECT_DOUBLE_EQ(scores.rouge_l, corpus_rouge_l(corpus_.first, corpus_.second));
  EXPECT_DOUBLE_EQ(scores.cider_d, corpus_cider_d(corpus_.first, corpus_.second));
}

TEST(CaptionMetrics, PerfectCaptionsScoreOne) {
  const std::vector<Words> hypotheses = {words("a dog runs on the grass"),
                                         words("two cats sleep on a sofa")};
  const std::vector<std::vector<Words>> references = {
      {words("a dog runs on the grass"), words("a brown dog is running")},
      {words("two cats are sleeping"), words("two cats sleep on a sofa")}};
  for (const double bleu : corpus_bleu(hypotheses, references)) EXPECT_DOUBLE_EQ(bleu, 1);
  EXPECT_DOUBLE_EQ(corpus_rouge_l(hypotheses, references), 1);
}

TEST(CaptionMetrics, ShortHypothesisPaysTheBrevityPenalty) {
  // Every word and bigram matches, but 3 words against a closest reference of 6: BP = e^(1-2).
  const std::vector<Words> hypotheses = {words("a dog runs")};
  const std::vector<std::vector<Words>> references = {
      {words("a dog runs on the grass"), words("a dog runs on the green grass")}};
  const auto bleu = corpus_bleu(hypotheses, references);
  EXPECT_NEAR(bleu[0], std::exp(-1.0), 1e-12);
  EXPECT_NEAR(bleu[1], std::exp(-1.0), 1e-12);
  EXPECT_NEAR(bleu[2], std::exp(-1.0), 1e-12);
  EXPECT_EQ(bleu[3], 0);  // no 4-gram in a 3-word caption
  // ROUGE-L: P = 1, best R = 3/6; F = 2.44 * 0.5 / (0.5 + 1.44).
  EXPECT_NEAR(rouge_l(hypotheses[0], references[0]), 2.44 * 0.5 / 1.94, 1e-12);
}

TEST(CaptionMetrics, LongerHypothesisHasNoBrevityPenalty) {
  const std::vector<Words> hypotheses = {words("a b c d e f")};
  const std::vector<std::vector<Words>> references = {{words("a b c x")}};
  // 3 of 6 words, 2 of 5 bigrams, 1 of 4 trigrams, 0 of 3 4-grams.
  const auto bleu = corpus_bleu(hypotheses, references);
  EXPECT_NEAR(bleu[0], 0.5, 1e-12);
  EXPECT_NEAR(bleu[1], std::sqrt(0.5 * 0.4), 1e-12);
  EXPECT_NEAR(bleu[2], std::cbrt(0.5 * 0.4 * 0.25), 1e-12);
  EXPECT_EQ(bleu[3], 0);
}

TEST(CaptionMetrics, EmptyHypothesisScoresZero) {
  const std::vector<Words> hypotheses = {{}, {}};
  const std::vector<std::vector<Words>> references = {{words("a cat")}, {words("a dog")}};
  for (const double bleu : corpus_bleu(hypotheses, references)) EXPECT_EQ(bleu, 0);
  EXPECT_EQ(corpus_rouge_l(hypotheses, references), 0);
  EXPECT_EQ(corpus_cider_d(hypotheses, references), 0);
}

TEST(CaptionMetrics, CiderOfOneImageIsZero) {
  // log(1 image) - log(df 1) = 0: every n-gram weighs nothing.
  EXPECT_EQ(corpus_cider_d({words("a cat")}, {{words("a cat")}}), 0);
}

TEST(CaptionMetrics, MismatchedCorpusIsRejected) {
  EXPECT_THROW(corpus_bleu({words("a")}, {}), std::invalid_argument);
  EXPECT_THROW(corpus_rouge_l({}, {}), std::invalid_argument);
  EXPECT_THROW(cider_d({words("a")}, {{}}), std::invalid_argument);
}

TEST(CaptionMetrics, TableAndJson) {
  CaptionScores scores;
  scores.bleu = {0.75, 0.5, 0.25, 0.125};
  scores.rouge_l = 0.5;
  scores.cider_d = 1.2345;
  scores.images = 3;
  const auto table = format_caption_scores_table(scores);
  EXPECT_NE(table.find("BLEU-4      12.50"), std::string::npos) << table;
  EXPECT_NE(table.find("CIDEr-D    123.45"), std::string::npos) << table;
  EXPECT_NE(table.find("3 images"), std::string::npos) << table;
  EXPECT_EQ(format_caption_scores_json(scores),
            "{\"BLEU-1\": 0.750000, \"BLEU-2\": 0.500000, \"BLEU-3\": 0.250000, "
            "\"BLEU-4\": 0.125000, \"ROUGE-L\": 0.500000, \"CIDEr-D\": 1.234500, \"images\": 3}");
}

}  // namespace
}  // namespace vedkit
