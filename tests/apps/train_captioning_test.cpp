// vedkit-train and vedkit-eval on a captioner, run as a user runs them.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "tests/support/run_command.h"
#include "tests/support/temp_dir.h"
#include "text/load_caption_model.h"

namespace vedkit {
namespace {

using testing::app;
using testing::run_command;
using testing::TempDir;

const std::string kSamples = std::string(VEDKIT_SOURCE_DIR) + "/datasets/samples/";

std::string tiny_config(const TempDir& dir) {
  return dir.write("caption.yaml",
                   "task: captioning\n"
                   "model:\n  encoder: {type: resnet, depth: 18, width: 8}\n"
                   "  decoder: {width: 32, layers: 1, heads: 2, ffn_width: 64, max_length: 16}\n"
                   "tokenizer: {min_frequency: 1}\n"
                   "decode: {method: greedy, max_length: 16}\n"
                   "data:\n  captions: " +
                       kSamples + "captions.tsv\n  train_list: " + kSamples +
                       "train.txt\n"
                       "  val_list: " +
                       kSamples +
                       "val.txt\n  size: [64, 64]\n  batch_size: 8\n"
                       "train: {epochs: 1, lr: 0.003, out_dir: " +
                       dir.file("run") + "}\n");
}

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// One tiny training run shared by the tests (a couple of seconds).
class CaptioningApps : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir;
    const auto result =
        run_command(app("vedkit-train") + " --quiet --config " + tiny_config(*dir_));
    ASSERT_EQ(result.exit_code, 0) << result.output;
  }
  static void TearDownTestSuite() { delete dir_; }
  static std::string eval(const std::string& rest) {
    return app("vedkit-eval") + " --quiet --model " + dir_->file("run/best.vdk") + " " + rest;
  }
  static TempDir* dir_;
};
TempDir* CaptioningApps::dir_ = nullptr;

TEST_F(CaptioningApps, TrainingWritesALoadableCaptionerAndItsLog) {
  const auto loaded = load_caption_model(dir_->file("run/best.vdk"));
  EXPECT_GT(loaded.tokenizer->vocab_size(), 10);
  EXPECT_EQ(loaded.decoding.max_length, 16);
  EXPECT_EQ(loaded.input_size, (std::vector<int64_t>{64, 64}));
  std::ifstream log(dir_->file("run/metrics.csv"));
  std::string header;
  std::getline(log, header);
  for (const auto* column : {"val_loss", "BLEU-4", "CIDEr-D", "ROUGE-L", "token_accuracy"}) {
    EXPECT_NE(header.find(column), std::string::npos) << header;
  }
  EXPECT_TRUE(std::filesystem::exists(dir_->file("run/preview_epoch1.png")));
}

TEST_F(CaptioningApps, EvalPrintsTheScoresAndWritesCocoResults) {
  const auto result =
      run_command(eval("--captions " + kSamples + "captions.tsv --list " + kSamples +
                       "test.txt --coco-results " + dir_->file("results.json")));
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_NE(result.output.find("CIDEr-D"), std::string::npos) << result.output;
  EXPECT_NE(result.output.find("\"images\": 4}"), std::string::npos) << result.output;
  EXPECT_NE(result.output.find("scenes: 4; exact "), std::string::npos) << result.output;
  const auto results = read_file(dir_->file("results.json"));
  EXPECT_NE(results.find("\"image_id\":\"000032\""), std::string::npos) << results;
  EXPECT_EQ(std::count(results.begin(), results.end(), '{'), 4) << results;

  const auto beam = run_command(eval("--beam 2 --precision bfloat16_any_cpu --captions " + kSamples +
                                     "captions.tsv --list " + kSamples + "val.txt"));
  EXPECT_EQ(beam.exit_code, 0) << beam.output;
  EXPECT_NE(beam.output.find("CIDEr-D"), std::string::npos) << beam.output;
}

TEST_F(CaptioningApps, CocoCaptionsGiveCocoImageIds) {
  const auto json = dir_->write(
      "coco.json",
      R"({"images": [{"id": 321, "file_name": "000000.png"}, {"id": 5, "file_name": "000001.png"}],
                                    "annotations": [{"image_id": 321, "caption": "a shirt"},
                                                    {"image_id": 5, "caption": "a shirt"}]})");
  const auto result = run_command(eval("--captions " + json + " --images " + kSamples +
                                       "images --coco-results " + dir_->file("coco_results.json")));
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_NE(read_file(dir_->file("coco_results.json")).find("\"image_id\":321"), std::string::npos);
}

TEST_F(CaptioningApps, ResumingOnOtherCaptionsKeepsTheModelsWordIds) {
  // Fresh captions of the same images in which "coat" is the most frequent word: a vocabulary
  // learnt from them would number the words differently.
  std::string captions;
  for (const auto* list : {"train.txt", "val.txt"}) {
    std::ifstream stems(kSamples + list);
    for (std::string stem; std::getline(stems, stem);) {
      captions += kSamples + "images/" + stem + ".png\ta coat above a coat and a coat\n";
    }
  }
  const auto result = run_command(
      app("vedkit-train") + " --quiet --config " + tiny_config(*dir_) + " --set data.captions=" +
      dir_->write("fresh.tsv", captions) + " --set train.epochs=2 --set train.out_dir=" +
      dir_->file("resumed") + " --resume " + dir_->file("run/last.vdk"));
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_EQ(load_caption_model(dir_->file("resumed/last.vdk")).tokenizer->to_vocabulary(),
            load_caption_model(dir_->file("run/last.vdk")).tokenizer->to_vocabulary());
}

TEST_F(CaptioningApps, ExportAveragesSnapshotsOfOneRunOnly) {
  auto result = run_command(app("vedkit-export") + " --model " + dir_->file("run/last.vdk") + " " +
                            dir_->file("run/best.vdk") + " --out " + dir_->file("mean.vdk"));
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_NE(result.output.find("the mean of 2 models' weights"), std::string::npos)
      << result.output;
  EXPECT_GT(load_caption_model(dir_->file("mean.vdk")).tokenizer->vocab_size(), 10);

  const std::string segmenter =
      std::string(VEDKIT_SOURCE_DIR) + "/models/segmentation_scenes_resnet18.vdk";
  result = run_command(app("vedkit-export") + " --model " + dir_->file("run/last.vdk") + " " +
                       segmenter + " --out " + dir_->file("mixed.vdk"));
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_NE(result.output.find("segmentation_scenes_resnet18.vdk: cannot be averaged with"),
            std::string::npos)
      << result.output;
  EXPECT_FALSE(std::filesystem::exists(dir_->file("mixed.vdk")));
}

TEST_F(CaptioningApps, BadInputsAreOneClearLine) {
  auto result = run_command(eval("--captions " + dir_->file("missing.tsv")));
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_NE(result.output.find("missing.tsv"), std::string::npos) << result.output;

  result = run_command(app("vedkit-eval") + " --model " + std::string(VEDKIT_SOURCE_DIR) +
                       "/models/segmentation_scenes_resnet18.vdk --captions " + kSamples +
                       "captions.tsv");
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_NE(result.output.find("not a captioner"), std::string::npos) << result.output;

  result = run_command(app("vedkit-train") + " --quiet --config " + tiny_config(*dir_) +
                       " --set data.captions=" + dir_->file("nowhere.tsv"));
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_NE(result.output.find("nowhere.tsv"), std::string::npos) << result.output;

  result = run_command(app("vedkit-train") + " --quiet --config " + tiny_config(*dir_) +
                       " --set decode.max_length=30");
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_NE(result.output.find("decode.max_length"), std::string::npos) << result.output;
}

TEST(CaptioningConfig, TheScenesRecipeResolvesWithTheBundledEncoder) {
  // From the source folder, where the config's relative paths point; the samples stand in for
  // data/scenes.
  const auto result =
      run_command("cd " + std::string(VEDKIT_SOURCE_DIR) + " && " + app("vedkit-train") +
                  " --config configs/captioning_scenes_resnet18.yaml --print-config"
                  " --set data.captions=datasets/samples/captions.tsv"
                  " --set data.train_list=datasets/samples/train.txt"
                  " --set data.val_list=datasets/samples/val.txt");
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_NE(result.output.find("label_smoothing: 0.1"), std::string::npos) << result.output;
}

}  // namespace
}  // namespace vedkit
