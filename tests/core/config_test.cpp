#include "core/config.h"

#include <gtest/gtest.h>

#include "core/error.h"
#include "tests/support/error_of.h"
#include "tests/support/temp_dir.h"

namespace vedkit {
namespace {

using testing::TempDir;

template <typename Body>
std::string config_error(Body body) {
  return testing::error_of<ConfigError>(body);
}

const char* kRun = R"(task: segmentation
model:
  encoder:
    type: resnet
    depth: 18
  decoder:
    channels: [256, 128, 64]
train:
  lr: 0.001
  epochs: 10
)";

TEST(Config, ReadsTypedValues) {
  auto config = Config::from_text(kRun, "run.yaml");
  auto encoder = config.section("model.encoder");
  EXPECT_EQ(encoder.get_string("type", std::nullopt), "resnet");
  EXPECT_EQ(encoder.get_int("depth", std::nullopt, {18, 50}), 18);
  EXPECT_EQ(config.section("model.decoder").get_ints("channels", std::nullopt),
            (std::vector<int64_t>{256, 128, 64}));
  EXPECT_DOUBLE_EQ(config.section("train").get_real("lr", std::nullopt), 0.001);
}

TEST(Config, UnknownKeyNamesPositionAndSuggestsNearest) {
  auto config = Config::from_text("model:\n  encoder:\n    type: resnet\n    deph: 18\n", "run.yaml");
  auto encoder = config.section("model.encoder");
  encoder.get_string("type", std::nullopt);
  encoder.get_int("depth", 18);
  const auto message = config_error([&] { config.check_all_keys_known(); });
  EXPECT_NE(message.find("run.yaml:4:11"), std::string::npos) << message;
  EXPECT_NE(message.find("'model.encoder.deph'"), std::string::npos) << message;
  EXPECT_NE(message.find("did you mean 'depth'"), std::string::npos) << message;
}

TEST(Config, UnknownTopLevelSectionIsReported) {
  auto config = Config::from_text("runtime:\n  seed: 1\ntrian:\n  lr: 1\n", "run.yaml");
  config.section("runtime").get_int("seed", 0);
  config.section("train");
  const auto message = config_error([&] { config.check_all_keys_known(); });
  EXPECT_NE(message.find("run.yaml:3:1"), std::string::npos) << message;
  EXPECT_NE(message.find("did you mean 'train'"), std::string::npos) << message;
}

TEST(Config, WrongTypeNamesKeyAndValue) {
  auto config = Config::from_text("train:\n  epochs: ten\n", "run.yaml");
  const auto message = config_error([&] { config.section("train").get_int("epochs", 1); });
  EXPECT_NE(message.find("run.yaml:2:11: train.epochs: expected an integer"), std::string::npos)
      << message;
  EXPECT_NE(message.find("got 'ten'"), std::string::npos) << message;
}

TEST(Config, MapWhereScalarExpectedIsAnError) {
  auto config = Config::from_text("train:\n  lr:\n    a: 1\n", "run.yaml");
  const auto message = config_error([&] { config.section("train").get_real("lr", 0.1); });
  EXPECT_NE(message.find("run.yaml:2:3: train.lr: expected a number"), std::string::npos)
      << message;
}

TEST(Config, MissingRequiredKeyIsAnError) {
  auto config = Config::from_text("model:\n  encoder: {}\n", "run.yaml");
  const auto message =
      config_error([&] { config.section("model.encoder").get_string("type", std::nullopt); });
  EXPECT_NE(message.find("model.encoder.type: missing required"), std::string::npos) << message;
}

TEST(Config, OutOfRangeValueIsAnError) {
  auto config = Config::from_text("train:\n  lr: -1\n  epochs: 0\n", "run.yaml");
  auto train = config.section("train");
  auto message = config_error([&] { train.get_real("lr", 0.1, {0.0, 10.0}); });
  EXPECT_NE(message.find("train.lr: expected a number in [0, 10], got '-1'"), std::string::npos)
      << message;
  message = config_error([&] { train.get_int("epochs", 1, {1}); });
  EXPECT_NE(message.find("expected an integer >= 1"), std::string::npos) << message;
}

TEST(Config, ChoiceSuggestsNearest) {
  auto config = Config::from_text("model:\n  encoder:\n    type: resnt\n", "run.yaml");
  const auto message = config_error([&] {
    config.section("model.encoder").get_string("type", std::nullopt, {"resnet", "vit"});
  });
  EXPECT_NE(message.find("expected one of resnet, vit (did you mean 'resnet'?)"),
            std::string::npos)
      << message;
}

TEST(Config, ListItemOfWrongTypeNamesIndex) {
  auto config = Config::from_text("decoder:\n  channels: [256, x, 64]\n", "run.yaml");
  const auto message =
      config_error([&] { config.section("decoder").get_ints("channels", std::nullopt); });
  EXPECT_NE(message.find("run.yaml:2:19: decoder.channels[1]"), std::string::npos) << message;
}

TEST(Config, OverridesReplaceAndCreateValues) {
  auto config = Config::from_text(kRun, "run.yaml",
                                  {"model.encoder.depth=50", "train.optimizer=sgd",
                                   "model.decoder.channels=[32, 16]"});
  EXPECT_EQ(config.section("model.encoder").get_int("depth", 18), 50);
  EXPECT_EQ(config.section("train").get_string("optimizer", "adamw"), "sgd");
  EXPECT_EQ(config.section("model.decoder").get_ints("channels", std::nullopt),
            (std::vector<int64_t>{32, 16}));
}

TEST(Config, OverrideOfUnknownKeyIsReportedWithItsOrigin) {
  auto config = Config::from_text("train: {lr: 0.1, epochs: 2}\n", "run.yaml", {"train.epohcs=3"});
  auto train = config.section("train");
  train.get_real("lr", 0.1);
  train.get_int("epochs", 1);
  const auto message = config_error([&] { config.check_all_keys_known(); });
  EXPECT_NE(message.find("--set train.epohcs"), std::string::npos) << message;
  EXPECT_NE(message.find("did you mean 'epochs'"), std::string::npos) << message;
}

TEST(Config, MalformedOverrideIsAnError) {
  EXPECT_NE(config_error([&] { Config::from_text(kRun, "run.yaml", {"novalue"}); }), "");
  EXPECT_NE(config_error([&] { Config::from_text(kRun, "run.yaml", {"a..b=1"}); }), "");
  // Found by fuzzing: a list index past stoul's range escaped as std::out_of_range.
  EXPECT_NE(config_error([&] {
              Config::from_text("a: [1, 2]\n", "run.yaml", {"a.17777777777777777777777=3"});
            }).find("is not an index of the list"),
            std::string::npos);
}

TEST(Config, BaseIsInheritedAndOverridden) {
  TempDir dir;
  dir.write("base.yaml", kRun);
  const auto child = dir.write("sub/child.yaml",
                               "base: ../base.yaml\nmodel:\n  encoder:\n    depth: 34\n");
  auto config = Config::load(child);
  auto encoder = config.section("model.encoder");
  EXPECT_EQ(encoder.get_string("type", std::nullopt), "resnet");
  EXPECT_EQ(encoder.get_int("depth", 18), 34);
  EXPECT_EQ(config.section("train").get_int("epochs", 1), 10);
}

TEST(Config, BaseLoopAndMissingBaseAreErrors) {
  TempDir dir;
  const auto a = dir.write("a.yaml", "base: b.yaml\n");
  dir.write("b.yaml", "base: a.yaml\n");
  EXPECT_NE(config_error([&] { Config::load(a); }).find("loops"), std::string::npos);
  const auto c = dir.write("c.yaml", "base: nowhere.yaml\n");
  EXPECT_NE(config_error([&] { Config::load(c); }).find("does not exist"), std::string::npos);
}

TEST(Config, MissingFileIsAnError) {
  EXPECT_NE(config_error([] { Config::load("/nonexistent/run.yaml"); }).find("cannot open"),
            std::string::npos);
}

TEST(Config, MalformedYamlNamesPosition) {
  const auto message = config_error([] { Config::from_text("a: [1, 2\nb: 3\n", "bad.yaml"); });
  EXPECT_NE(message.find("bad.yaml:"), std::string::npos) << message;
  EXPECT_NE(message.find("malformed YAML"), std::string::npos) << message;
}

TEST(Config, DuplicateKeyIsAnError) {
  const auto message = config_error([] { Config::from_text("a: 1\nb: 2\na: 3\n", "dup.yaml"); });
  EXPECT_NE(message.find("dup.yaml:3:1: duplicate key 'a'"), std::string::npos) << message;
}

TEST(Config, DeeplyNestedInputFailsCleanly) {
  std::string deep;
  for (int i = 0; i < 5000; ++i) deep += "[";
  EXPECT_NE(config_error([&] { Config::from_text(deep, "deep.yaml"); }), "");
  std::string nested;
  for (int i = 0; i < 100; ++i) nested += std::string(2 * i, ' ') + "k:\n";
  EXPECT_NE(config_error([&] { Config::from_text(nested, "nested.yaml"); }).find("nesting"),
            std::string::npos);
}

TEST(Config, ResolvedConfigShowsDefaultsAndOverrides) {
  auto config = Config::from_text(kRun, "run.yaml", {"train.epochs=3"});
  config.section("runtime").get_int("threads", 0);
  const auto text = config.to_yaml();
  EXPECT_NE(text.find("epochs: 3"), std::string::npos) << text;
  EXPECT_NE(text.find("threads: 0"), std::string::npos) << text;
  // The printed config reads back to the same values.
  auto again = Config::from_text(text, "printed.yaml");
  EXPECT_EQ(again.section("train").get_int("epochs", 1), 3);
  EXPECT_EQ(again.section("model.decoder").get_ints("channels", std::nullopt).size(), 3u);
}

TEST(Config, ListOfSections) {
  auto config =
      Config::from_text("losses:\n  - {type: ce, weight: 1}\n  - {type: dice, wieght: 2}\n", "l.yaml");
  auto losses = config.root().sections("losses");
  ASSERT_EQ(losses.size(), 2u);
  for (auto& loss : losses) {
    loss.get_string("type", std::nullopt);
    loss.get_real("weight", 1.0);
  }
  const auto message = config_error([&] { config.check_all_keys_known(); });
  EXPECT_NE(message.find("'losses.1.wieght'"), std::string::npos) << message;
}

TEST(NearestWord, FindsCloseWordsOnly) {
  EXPECT_EQ(nearest_word("lr", {"lr", "epochs"}), "lr");
  EXPECT_EQ(nearest_word("epoch", {"lr", "epochs"}), "epochs");
  EXPECT_EQ(nearest_word("completely_different", {"lr", "epochs"}), "");
}

}  // namespace
}  // namespace vedkit
