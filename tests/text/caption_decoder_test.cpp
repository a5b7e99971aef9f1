#include "text/caption_decoder.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "core/error.h"
#include "core/precision.h"
#include "tests/support/error_of.h"
#include "tests/support/python_peer.h"
#include "text/caption_model.h"
#include "text/caption_step_model.h"

namespace vedkit {
namespace {

using testing::error_of;
using testing::max_abs_diff;

constexpr int64_t kVocab = 20;
const std::string kDecoderYaml =
    "  decoder: {width: 32, layers: 2, heads: 4, ffn_width: 64, max_length: 12}\n";

CaptionModel small_model(const std::string& encoder_yaml) {
  auto config =
      Config::from_text("model:\n  encoder: " + encoder_yaml + "\n" + kDecoderYaml, "m.yaml");
  return build_caption_model(config.section("model"), kVocab);
}

CaptionDecoder small_decoder(bool tie = true) {
  auto decoder = CaptionDecoder(CaptionDecoderOptions(kVocab)
                                    .width(32)
                                    .layers(2)
                                    .heads(4)
                                    .ffn_width(64)
                                    .max_length(12)
                                    .tie_embeddings(tie));
  decoder->eval();
  return decoder;
}

torch::Tensor random_tokens(int64_t batch, int64_t length) {
  return torch::randint(3, kVocab, {batch, length}, torch::kLong);
}

TEST(CaptionModel, ShapesWithResNetAndViT) {
  torch::manual_seed(0);
  // (encoder, tokens of a 64x96 image): ResNet's coarsest map at stride 32, ViT's patches.
  const std::vector<std::pair<std::string, int64_t>> encoders = {
      {"{type: resnet, depth: 18, width: 8}", 2 * 3},
      {"{type: vit, preset: tiny, depth: 2, image_size: 64}", 4 * 6}};
  for (const auto& [yaml, tokens] : encoders) {
    auto model = small_model(yaml);
    model->prepare_for_inference();
    torch::InferenceMode inference;
    const auto images = torch::rand({2, 3, 64, 96});
    EXPECT_EQ(model->encode(images).sizes(), (torch::IntArrayRef{2, tokens, 32})) << yaml;
    EXPECT_EQ(model->forward(images, random_tokens(2, 7)).sizes(),
              (torch::IntArrayRef{2, 7, kVocab}))
        << yaml;
  }
}

TEST(CaptionModel, BFloat16FollowsFloat32) {
  torch::manual_seed(5);
  for (const std::string yaml : {"{type: resnet, depth: 18, width: 8}",
                                 "{type: vit, preset: tiny, depth: 2, image_size: 64}"}) {
    auto model = small_model(yaml);
    model->prepare_for_inference();
    torch::InferenceMode inference;
    const auto images = torch::rand({2, 3, 64, 64});
    const auto tokens = random_tokens(2, 6);
    const auto float32 = model->forward(images, tokens);
    set_precision(*model, "bfloat16_any_cpu");
    const auto bfloat16 = model->forward(images, tokens);
    ASSERT_EQ(bfloat16.scalar_type(), torch::kBFloat16) << yaml;
    EXPECT_LT(max_abs_diff(bfloat16.to(torch::kFloat), float32),
              0.05 * float32.abs().max().item<double>())
        << yaml;
    DecodingOptions greedy;
    greedy.max_length = 5;
    const auto captions = caption_images(*model, images, 1, kVocab, greedy);
    ASSERT_EQ(captions.size(), 2u) << yaml;
    EXPECT_EQ(captions[0].tokens.size(), 5u) << yaml;
  }
}

TEST(CaptionModel, PositionEmbeddingTellsGridCellsApart) {
  const auto embedding = sincos_position_embedding(3, 4, 16);
  ASSERT_EQ(embedding.sizes(), (torch::IntArrayRef{12, 16}));
  // Row 1, column 2 is token 6: the row half encodes 1, the column half 2.
  const double omega1 = std::pow(10000.0, -1.0 / 4.0);
  EXPECT_NEAR(embedding[6][1].item<double>(), std::sin(1 * omega1), 1e-6);
  EXPECT_NEAR(embedding[6][8 + 4 + 1].item<double>(), std::cos(2 * omega1), 1e-6);
  // Cells of one row share the first half; every cell differs from every other.
  EXPECT_TRUE(embedding[4].narrow(0, 0, 8).equal(embedding[7].narrow(0, 0, 8)));
  const auto distances = torch::cdist(embedding, embedding) + torch::eye(12);
  EXPECT_GT(distances.min().item<double>(), 0.1);
  EXPECT_NE(error_of([] { sincos_position_embedding(2, 2, 6); }).find("multiple of 4"),
            std::string::npos);
}

TEST(CaptionModel, RejectsImagesOffTheTokenGrid) {
  auto model = small_model("{type: resnet, depth: 18, width: 8}");
  model->eval();
  torch::NoGradGuard no_grad;
  const auto message = error_of([&] { model->encode(torch::rand({1, 3, 64, 80})); });
  EXPECT_NE(message.find("64x80 give 6 encoder tokens"), std::string::npos) << message;
}

TEST(CaptionDecoder, ChangingAFutureTokenLeavesEarlierLogitsAlone) {
  torch::manual_seed(1);
  auto decoder = small_decoder();
  torch::NoGradGuard no_grad;
  const auto memory = torch::randn({2, 5, 32});
  auto tokens = random_tokens(2, 9);
  const auto before = decoder->forward(tokens, memory);
  auto changed = tokens.select(1, 6);
  changed.copy_((changed - 2) % (kVocab - 3) + 3);  // another token in [3, V) in every row
  const auto after = decoder->forward(tokens, memory);
  EXPECT_TRUE(before.narrow(1, 0, 6).equal(after.narrow(1, 0, 6)));
  EXPECT_GT(max_abs_diff(before.narrow(1, 6, 3), after.narrow(1, 6, 3)), 1e-4);
}

TEST(CaptionDecoder, CachedStepsMatchTheFullForward) {
  torch::manual_seed(2);
  for (bool tie : {true, false}) {
    auto decoder = small_decoder(tie);
    torch::InferenceMode inference;
    const auto memory = torch::randn({3, 6, 32});
    const auto tokens = random_tokens(3, 12);
    const auto full = decoder->forward(tokens, memory);  // [3, 12, V]
    auto cache = decoder->start(memory);
    // Asking for the attention weights takes LibTorch operators; without them, a step over a
    // few rows runs in plain loops (decoder_step_loops.cpp, where CBLAS was found).
    auto looped = decoder->start(memory);
    for (int64_t t = 0; t < 12; ++t) {
      torch::Tensor attention;
      const auto logits = decoder->step(tokens.select(1, t), cache, &attention);
      EXPECT_LT(max_abs_diff(logits, full.select(1, t)), 1e-5) << "position " << t;
      ASSERT_EQ(attention.sizes(), (torch::IntArrayRef{3, 6}));
      EXPECT_LT(max_abs_diff(attention.sum(1), torch::ones({3})), 1e-5);
      const auto looped_logits = decoder->step(tokens.select(1, t), looped);
      EXPECT_LT(max_abs_diff(looped_logits, full.select(1, t)), 1e-5) << "position " << t;
    }
    EXPECT_EQ(cache.length, 12);
    EXPECT_EQ(looped.length, 12);
    EXPECT_LT(max_abs_diff(looped.layers.back().self_values, cache.layers.back().self_values),
              1e-5);
    const auto message = error_of([&] { decoder->step(tokens.select(1, 0), cache); });
    EXPECT_NE(message.find("more than its max_length 12"), std::string::npos) << message;
  }
}

TEST(CaptionDecoder, CacheReorderAndExpandMoveRows) {
  torch::manual_seed(3);
  auto decoder = small_decoder();
  torch::InferenceMode inference;
  const auto tokens = random_tokens(2, 4);
  auto cache = decoder->start(torch::randn({2, 5, 32}));
  for (int64_t t = 0; t < 3; ++t) decoder->step(tokens.select(1, t), cache);

  auto swapped = cache;  // reorder replaces the tensors, so the original keeps its own
  swapped.reorder(torch::tensor({1, 0}, torch::kLong));
  auto expanded = cache;
  expanded.expand(3);
  EXPECT_EQ(expanded.batch_size(), 6);
  const auto last = tokens.select(1, 3);
  const auto expected = decoder->step(last, cache);  // [2, V]
  const auto reordered = decoder->step(last.flip(0), swapped);
  EXPECT_LT(max_abs_diff(reordered, expected.flip(0)), 1e-6);
  const auto repeated = decoder->step(last.repeat_interleave(3), expanded);
  EXPECT_LT(max_abs_diff(repeated, expected.repeat_interleave(3, 0)), 1e-6);

  // Beams: rows 0-2 share image 0's memory, rows 3-5 image 1's. Moving rows among an image's
  // beams keeps the memory where it is; dropping image 0 moves it.
  decoder->step(random_tokens(6, 1).squeeze(1), expanded);  // the beams' histories part
  for (const auto& order : {torch::tensor({2, 0, 1, 5, 3, 4}, torch::kLong),
                            torch::tensor({4, 5, 3}, torch::kLong)}) {
    auto moved = expanded;
    moved.reorder(order);
    const auto next = random_tokens(6, 1).squeeze(1);
    auto unmoved = expanded;
    unmoved.reorder(torch::arange(6));
    const auto reference = decoder->step(next, unmoved).index_select(0, order);
    EXPECT_LT(max_abs_diff(decoder->step(next.index_select(0, order), moved), reference), 1e-6)
        << order;
  }
}

// Teacher forcing with label smoothing and padding ignored, as training will use it.
TEST(CaptionModel, TrainingStepsLowerTheLoss) {
  torch::manual_seed(4);
  auto model = small_model("{type: resnet, depth: 18, width: 8}");
  model->train();
  const auto images = torch::rand({4, 3, 32, 32});
  auto captions = random_tokens(4, 8);
  captions.index_put_({0, torch::indexing::Slice(6)}, 0);  // a shorter caption, padded
  captions.select(1, 0).fill_(1);                          // <bos>
  const auto inputs = captions.narrow(1, 0, 7);
  const auto targets = captions.narrow(1, 1, 7);
  torch::optim::AdamW optimizer(model->parameters(), torch::optim::AdamWOptions(3e-3));
  const auto loss_of = [&] {
    const auto logits = model->forward(images, inputs);  // [B, T, V]
    return torch::nn::functional::cross_entropy(
        logits.reshape({-1, kVocab}), targets.reshape({-1}),
        torch::nn::functional::CrossEntropyFuncOptions().ignore_index(0).label_smoothing(0.1));
  };
  const double first = loss_of().item<double>();
  for (int step = 0; step < 40; ++step) {
    optimizer.zero_grad();
    loss_of().backward();
    optimizer.step();
  }
  model->eval();
  torch::NoGradGuard no_grad;
  const double last = loss_of().item<double>();
  EXPECT_LT(last, 0.5 * first) << "first " << first << ", last " << last;
}

TEST(CaptionDecoderConfig, ReadsAndChecksItsKeys) {
  auto config = Config::from_text(
      "decoder: {type: transformer, width: 64, layers: 3, heads: 8, dropout: 0.2, "
      "tie_embeddings: false}\n",
      "d.yaml");
  const auto options = read_caption_decoder_options(config.section("decoder"), 100);
  EXPECT_EQ(options.vocab_size(), 100);
  EXPECT_EQ(options.width(), 64);
  EXPECT_EQ(options.layers(), 3);
  EXPECT_EQ(options.heads(), 8);
  EXPECT_EQ(options.ffn_width(), 1024);
  EXPECT_DOUBLE_EQ(options.dropout(), 0.2);
  EXPECT_EQ(options.max_length(), 32);
  EXPECT_FALSE(options.tie_embeddings());

  const std::vector<std::pair<std::string, std::string>> cases = {
      {"decoder: {width: 30, heads: 4}", "decoder.heads: expected a divisor of width 30"},
      {"decoder: {type: lstm}", "decoder.type: expected one of transformer"},
      {"decoder: {dropout: 1.5}", "decoder.dropout"},
  };
  for (const auto& [yaml, expected] : cases) {
    auto bad = Config::from_text(yaml + "\n", "d.yaml");
    const auto message =
        error_of<ConfigError>([&] { read_caption_decoder_options(bad.section("decoder"), 10); });
    EXPECT_NE(message.find(expected), std::string::npos) << yaml << " -> " << message;
  }
  auto odd = Config::from_text(
      "model:\n  encoder: {type: resnet, width: 8}\n  decoder: {width: 30, heads: 3}\n", "m.yaml");
  const auto message =
      error_of<ConfigError>([&] { build_caption_model(odd.section("model"), 10); });
  EXPECT_NE(message.find("decoder.width: expected a multiple of 4"), std::string::npos) << message;
}

// The same weights in torch.nn.TransformerDecoder(norm_first=True) give the same logits.
TEST(CaptionDecoderParity, MatchesTorchTransformerDecoder) {
  testing::TempDir dir;
  testing::run_peer("caption_decoder.py " + dir.path().string());
  const auto state = testing::load_tensor_dict(dir.file("state.pt"));
  const auto peer = testing::load_tensor_dict(dir.file("outputs.pt"));
  auto decoder = CaptionDecoder(
      CaptionDecoderOptions(50).width(64).layers(2).heads(4).ffn_width(128).max_length(16));
  decoder->eval();
  torch::NoGradGuard no_grad;
  const auto parameters = decoder->named_parameters();
  ASSERT_EQ(parameters.size(), state.size());
  for (const auto& [name, tensor] : state) {
    ASSERT_TRUE(parameters.contains(name)) << name;
    parameters[name].copy_(tensor);
  }
  const auto logits = decoder->forward(peer.at("tokens"), peer.at("memory"));
  EXPECT_LT(max_abs_diff(logits, peer.at("logits")), 1e-4);
}

}  // namespace
}  // namespace vedkit
