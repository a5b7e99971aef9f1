#include "text/captioning_task.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "text/word_tokenizer.h"

namespace vedkit {
namespace {

std::shared_ptr<const Tokenizer> word_tokenizer(const std::vector<std::string>& captions) {
  return std::make_shared<WordTokenizer>(WordTokenizer::train(captions, 1));
}

TEST(CaptionTokenBatch, FramesEachCaptionAndPadsToTheLongest) {
  const auto tokenizer = word_tokenizer({"a red square", "a bag"});
  const auto tokens = caption_token_batch(*tokenizer, {"a red square", "a bag"}, 10);
  const auto a = tokenizer->encode("a red square");
  const auto bag = tokenizer->encode("a bag");
  ASSERT_EQ(tokens.sizes(), (torch::IntArrayRef{2, 5}));
  const std::vector<int64_t> first{1, a[0], a[1], a[2], 2}, second{1, bag[0], bag[1], 2, 0};
  EXPECT_TRUE(torch::equal(tokens[0], torch::tensor(first, torch::kLong)));
  EXPECT_TRUE(torch::equal(tokens[1], torch::tensor(second, torch::kLong)));
}

TEST(CaptionTokenBatch, ALongCaptionIsCutToFitKeepingItsEnd) {
  const auto tokenizer = word_tokenizer({"one two three four five six"});
  const auto tokens = caption_token_batch(*tokenizer, {"one two three four five six"}, 4);
  ASSERT_EQ(tokens.size(1), 5);  // <bos>, 3 words, <eos>: the input (4 columns) fits 4 positions
  EXPECT_EQ(tokens[0][0].item<int64_t>(), tokenizer->bos_id());
  EXPECT_EQ(tokens[0][3].item<int64_t>(), tokenizer->encode("three")[0]);
  EXPECT_EQ(tokens[0][4].item<int64_t>(), tokenizer->eos_id());
}

TEST(CaptionLoss, IsSmoothedCrossEntropyOverTheTokensThatAreNotPadding) {
  torch::manual_seed(0);
  const int64_t vocab = 7;
  const auto logits = torch::randn({2, 3, vocab});
  const auto targets = torch::tensor({5, 4, 2, 6, 2, 0}, torch::kLong).reshape({2, 3});
  const double e = 0.1;
  // Per position: (1 - e) * -log p(target) + e * the mean over the vocabulary of -log p.
  const auto log_p = torch::log_softmax(logits.to(torch::kDouble), -1);
  double sum = 0;
  int counted = 0;
  for (int64_t b = 0; b < 2; ++b) {
    for (int64_t t = 0; t < 3; ++t) {
      const int64_t y = targets[b][t].item<int64_t>();
      if (y == 0) continue;
      sum += (1 - e) * -log_p[b][t][y].item<double>() + e * -log_p[b][t].mean().item<double>();
      ++counted;
    }
  }
  EXPECT_NEAR(caption_loss(logits, targets, e).item<double>(), sum / counted, 1e-5);
  // What the model says at a padded position does not count.
  auto changed = logits.clone();
  changed[1][2] = torch::randn({vocab}) * 10;
  EXPECT_NEAR(caption_loss(changed, targets, e).item<double>(), sum / counted, 1e-5);
}

// Four images told apart by colour, each with its own caption, the same every epoch.
class FixedCaptions : public CaptionData {
 public:
  FixedCaptions() {
    images_ = torch::zeros({4, 3, 64, 64});
    images_[0][0] = 1;    // red
    images_[1][1] = 1;    // green
    images_[2][2] = 1;    // blue
    images_[3].fill_(1);  // white
  }
  const std::vector<std::string> captions{"a red square", "a green bag to the left of a sandal",
                                          "a blue coat", "a white shirt above a white shirt"};
  std::vector<std::string> previewed;

  int64_t train_batches() const override { return 1; }
  void start_epoch(int64_t, int64_t) override {}
  CaptionTrainBatch next_train_batch() override { return {images_, captions}; }
  int64_t val_batches() const override { return 1; }
  CaptionValBatch val_batch(int64_t) override {
    return {images_, {{captions[0]}, {captions[1]}, {captions[2]}, {captions[3]}}};
  }
  void write_preview(const std::string&, const at::Tensor& images,
                     const std::vector<std::string>& written) override {
    EXPECT_EQ(images.size(0), static_cast<int64_t>(written.size()));
    previewed = written;
  }

 private:
  at::Tensor images_;
};

TEST(CaptioningTask, ATinyRunLowersTheLossAndLearnsTheCaptions) {
  torch::manual_seed(0);
  FixedCaptions data;
  const auto tokenizer = word_tokenizer(data.captions);
  auto config = Config::from_text(
      "model:\n  encoder: {type: resnet, depth: 18, width: 8}\n"
      "  decoder: {width: 32, layers: 2, heads: 2, ffn_width: 64, dropout: 0, max_length: 12}\n",
      "caption.yaml");
  CaptioningTask task(build_caption_model(config.section("model"), tokenizer->vocab_size()),
                      tokenizer, data, 0.1, torch::kCPU);
  EXPECT_EQ(task.best_metric(), "CIDEr-D");
  EXPECT_EQ(task.vocabulary(), tokenizer->to_vocabulary());
  torch::optim::Adam optimizer(task.model().parameters(), torch::optim::AdamOptions(3e-3));
  std::map<std::string, double> logs;
  task.model().train();
  double first = 0, last = 0;
  for (int step = 0; step < 80; ++step) {
    optimizer.zero_grad();
    auto loss = task.train_step(logs);
    loss.backward();
    optimizer.step();
    if (step == 0) first = loss.item<double>();
    last = loss.item<double>();
  }
  EXPECT_LT(last, 0.5 * first);
  EXPECT_GT(logs.at("token_accuracy"), 0.9);

  task.model().eval();
  const auto scores = task.validate();
  ASSERT_EQ(scores.size(), 4u);
  EXPECT_EQ(scores[0].first, "val_loss");
  EXPECT_EQ(scores[2].first, "CIDEr-D");
  EXPECT_GT(scores[2].second, 5.0);  // CIDEr-D is 10 for captions equal to their only reference
  task.save_preview("unused");
  ASSERT_EQ(data.previewed.size(), 4u);
  EXPECT_EQ(data.previewed[1], data.captions[1]);
  EXPECT_EQ(data.previewed[3], data.captions[3]);
}

}  // namespace
}  // namespace vedkit
