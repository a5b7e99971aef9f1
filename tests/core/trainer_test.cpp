#include "core/trainer.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <utility>
#include <vector>

#include "core/config.h"
#include "core/interrupt.h"
#include "core/precision.h"
#include "tests/support/error_of.h"
#include "tests/support/temp_dir.h"

namespace vedkit {
namespace {

using testing::TempDir;

// Fits y = 3x - 1 with a linear layer; validation reports the mean squared error.
class LineTask : public TrainingTask {
 public:
  LineTask() : x_(torch::linspace(-1, 1, 64).unsqueeze(1)), y_(3 * x_ - 1) {}
  torch::nn::Module& model() override { return *line_; }
  int64_t batches_per_epoch() override { return 8; }
  void start_epoch(int64_t epoch, int64_t first_batch) override {
    epoch_starts_.emplace_back(epoch, first_batch);
  }
  at::Tensor train_step(std::map<std::string, double>&) override {
    ++steps_;
    if (interrupt_after_ > 0 && steps_ == interrupt_after_) std::raise(SIGINT);
    return torch::mse_loss(line_->forward(x_), y_);
  }
  std::vector<std::pair<std::string, double>> validate() override {
    torch::NoGradGuard no_grad;
    return {{"mse", torch::mse_loss(line_->forward(x_), y_).item<double>()}};
  }
  std::string best_metric() const override { return "mse"; }
  bool higher_is_better() const override { return false; }
  void save_preview(const std::string& stem) override { std::ofstream(stem + ".png") << "x"; }

  torch::nn::Linear line_{1, 1};
  int64_t steps_ = 0;
  int64_t interrupt_after_ = 0;
  std::vector<std::pair<int64_t, int64_t>> epoch_starts_;  // (epoch, first batch)

 private:
  torch::Tensor x_, y_;
};

// The same line through two layers named like a model's encoder and decoder.
class TwoPartLineTask : public LineTask {
 public:
  TwoPartLineTask() {
    parts_->register_module("encoder", encoder_);
    parts_->register_module("decoder", decoder_);
  }
  torch::nn::Module& model() override { return *parts_; }
  at::Tensor train_step(std::map<std::string, double>&) override {
    const auto x = torch::linspace(-1, 1, 64).unsqueeze(1);
    return torch::mse_loss(decoder_->forward(encoder_->forward(x)), 3 * x - 1);
  }

  std::shared_ptr<torch::nn::Module> parts_ = std::make_shared<torch::nn::Module>();
  torch::nn::Linear encoder_{1, 1}, decoder_{1, 1};
};

TrainerOptions options_in(const TempDir& dir, int64_t epochs) {
  TrainerOptions options;
  options.lr = 0.1;
  options.epochs = epochs;
  options.warmup_epochs = 0.5;
  options.out_dir = dir.file("run");
  return options;
}

TEST(Trainer, LowersTheLossAndWritesFiles) {
  TempDir dir;
  torch::manual_seed(0);
  LineTask task;
  const double before = task.validate()[0].second;
  const auto result = train(task, options_in(dir, 5), "task: line\n", "", true);
  EXPECT_FALSE(result.interrupted);
  EXPECT_EQ(result.epochs_done, 5);
  EXPECT_LT(task.validate()[0].second, before / 10);
  EXPECT_TRUE(std::filesystem::exists(result.best_path));
  EXPECT_TRUE(std::filesystem::exists(result.last_path));
  EXPECT_TRUE(std::filesystem::exists(dir.file("run/preview_epoch5.png")));
  std::ifstream log(dir.file("run/metrics.csv"));
  std::string header;
  std::getline(log, header);
  EXPECT_EQ(header, "epoch,step,train_loss,mse");
  const auto file = ModelFile::open(result.last_path);
  EXPECT_EQ(file.contents().train_state.epoch, 5);
  EXPECT_EQ(file.contents().train_state.step, 40);
  EXPECT_EQ(file.contents().config_yaml, "task: line\n");
}

TEST(Trainer, ResumeContinuesFromTheSavedEpoch) {
  TempDir dir;
  LineTask first;
  train(first, options_in(dir, 2), "", "", true);
  LineTask second;
  const auto result = train(second, options_in(dir, 4), "", dir.file("run/last.vdk"), true);
  EXPECT_EQ(second.steps_, 16) << "only epochs 3 and 4 run";
  EXPECT_EQ(ModelFile::open(result.last_path).contents().train_state.step, 32);
}

// A task whose model file carries words, as a captioner's does.
class WordsLineTask : public LineTask {
 public:
  explicit WordsLineTask(std::vector<std::string> words) : words_(std::move(words)) {}
  std::vector<std::string> vocabulary() const override { return words_; }

 private:
  std::vector<std::string> words_;
};

TEST(Trainer, ResumeRefusesAFileWithOtherWordIds) {
  TempDir dir;
  WordsLineTask first({"a", "shirt"});
  train(first, options_in(dir, 1), "", "", true);
  WordsLineTask same({"a", "shirt"});
  EXPECT_NO_THROW(train(same, options_in(dir, 2), "", dir.file("run/last.vdk"), true));
  WordsLineTask reordered({"shirt", "a"});
  const auto message = testing::error_of<ModelFileError>(
      [&] { train(reordered, options_in(dir, 3), "", dir.file("run/last.vdk"), true); });
  EXPECT_NE(message.find("last.vdk: its vocabulary differs"), std::string::npos) << message;
  EXPECT_EQ(reordered.steps_, 0);
}

TEST(Trainer, ResumeOnOtherDataStartsTheBestScoreAfresh) {
  TempDir dir;
  LineTask first;
  train(first, options_in(dir, 1), "data: {root: a}\n", "", true);
  for (const std::string root : {"a", "b"}) {
    auto options = options_in(dir, 2);
    options.lr = 0;  // the score stays the saved best: only a fresh start writes best.vdk
    options.out_dir = dir.file("resumed_" + root);
    LineTask second;
    train(second, options, "data: {root: " + root + "}\n", dir.file("run/last.vdk"), true);
  }
  EXPECT_FALSE(std::filesystem::exists(dir.file("resumed_a/best.vdk")));
  EXPECT_TRUE(std::filesystem::exists(dir.file("resumed_b/best.vdk")));
}

TEST(Trainer, InterruptSavesAndStops) {
  TempDir dir;
  LineTask task;
  task.interrupt_after_ = 11;
  const auto result = train(task, options_in(dir, 5), "", "", true);
  EXPECT_TRUE(result.interrupted);
  EXPECT_EQ(task.steps_, 11);
  EXPECT_FALSE(interrupt_requested());
  EXPECT_EQ(ModelFile::open(result.last_path).contents().train_state.step, 11);
}

TEST(Trainer, ResumingAnInterruptedEpochRunsOnlyItsRemainingBatches) {
  TempDir dir;
  LineTask first;
  first.interrupt_after_ = 11;  // 8 batches per epoch: epoch 2 stops after its batch 3
  train(first, options_in(dir, 3), "", "", true);
  const auto saved = ModelFile::open(dir.file("run/last.vdk")).contents().train_state;
  EXPECT_EQ(saved.epoch, 1);
  EXPECT_EQ(saved.epoch_batches, 3);

  LineTask second;
  const auto result = train(second, options_in(dir, 3), "", dir.file("run/last.vdk"), true);
  EXPECT_EQ(second.steps_, 5 + 8);
  EXPECT_EQ(second.epoch_starts_, (std::vector<std::pair<int64_t, int64_t>>{{1, 3}, {2, 0}}));
  const auto done = ModelFile::open(result.last_path).contents().train_state;
  EXPECT_EQ(done.step, 24);
  EXPECT_EQ(done.epoch, 3);
  EXPECT_EQ(done.epoch_batches, 0);
}

// LineTask that dies (an exception, as a crash would end it) at one step, leaving only its files.
class CrashingLineTask : public LineTask {
 public:
  explicit CrashingLineTask(int64_t crash_at) : crash_at_(crash_at) {}
  at::Tensor train_step(std::map<std::string, double>& logs) override {
    if (steps_ + 1 == crash_at_) throw std::runtime_error("crash");
    return LineTask::train_step(logs);
  }

 private:
  int64_t crash_at_;
};

TEST(Trainer, CheckpointsWithinAnEpochResumeToTheSameWeights) {
  TempDir dir;
  auto options = options_in(dir, 3);
  options.checkpoint_every = 3;
  torch::manual_seed(0);
  LineTask whole;
  train(whole, options, "", "", true);

  for (const int64_t crash_at : {2, 5, 12, 20, 23}) {
    options.out_dir = dir.file("crash" + std::to_string(crash_at));
    torch::manual_seed(0);
    CrashingLineTask crashing(crash_at);
    EXPECT_THROW(train(crashing, options, "", "", true), std::runtime_error);
    // Steps 1..crash_at-1 ran: the last checkpoint is at the last multiple of 3 among them
    // (or the epoch end, every 8).
    const std::string last = options.out_dir + "/last.vdk";
    const int64_t done = crash_at - 1;
    const int64_t expected_step = std::max(done / 3 * 3, done / 8 * 8);
    if (expected_step == 0) {
      EXPECT_FALSE(std::filesystem::exists(last)) << crash_at;
      continue;
    }
    EXPECT_EQ(ModelFile::open(last).contents().train_state.step, expected_step) << crash_at;
    LineTask resumed;
    train(resumed, options, "", last, true);
    EXPECT_EQ(resumed.steps_, 24 - expected_step) << crash_at;
    EXPECT_TRUE(resumed.line_->weight.equal(whole.line_->weight)) << crash_at;
    EXPECT_TRUE(resumed.line_->bias.equal(whole.line_->bias)) << crash_at;
  }
}

TEST(Trainer, ScheduleWarmsUpThenDecays) {
  TrainerOptions options;
  options.lr = 1.0;
  options.min_lr_ratio = 0.0;
  EXPECT_DOUBLE_EQ(scheduled_lr(options, 0, 100, 10), 0.1);
  EXPECT_DOUBLE_EQ(scheduled_lr(options, 9, 100, 10), 1.0);
  EXPECT_DOUBLE_EQ(scheduled_lr(options, 10, 100, 10), 1.0);
  EXPECT_NEAR(scheduled_lr(options, 55, 100, 10), 0.5, 1e-12);
  EXPECT_NEAR(scheduled_lr(options, 100, 100, 10), 0.0, 1e-12);
}

TEST(Trainer, EncoderLearningRateScale) {
  TempDir dir;
  auto options = options_in(dir, 1);
  options.encoder_lr_scale = 0.0;
  TwoPartLineTask frozen;
  const auto encoder_before = frozen.encoder_->weight.clone();
  const auto decoder_before = frozen.decoder_->weight.clone();
  train(frozen, options, "", "", true);
  EXPECT_TRUE(torch::equal(frozen.encoder_->weight, encoder_before));
  EXPECT_FALSE(torch::equal(frozen.decoder_->weight, decoder_before));

  options.encoder_lr_scale = 1.0;
  TwoPartLineTask free;
  const auto free_before = free.encoder_->weight.clone();
  train(free, options, "", "", true);
  EXPECT_FALSE(torch::equal(free.encoder_->weight, free_before));

  options.encoder_lr_scale = 0.1;
  LineTask no_encoder;
  const auto message = testing::error_of([&] { train(no_encoder, options, "", "", true); });
  EXPECT_NE(message.find("train.encoder_lr_scale"), std::string::npos) << message;
}

// Records the dtype of the layer's output in each training step.
class DtypeRecordingLineTask : public LineTask {
 public:
  at::Tensor train_step(std::map<std::string, double>&) override {
    const auto x = torch::linspace(-1, 1, 64).unsqueeze(1);
    const auto y = line_->forward(x);
    step_dtypes_.push_back(y.scalar_type());
    return torch::mse_loss(y, 3 * x - 1);
  }
  std::vector<at::ScalarType> step_dtypes_;
};

TEST(Trainer, Bfloat16StepsKeepFloat32WeightsAndStillLearn) {
  TempDir dir;
  torch::manual_seed(0);
  DtypeRecordingLineTask task;
  const double before = task.validate()[0].second;
  auto options = options_in(dir, 5);
  options.precision = "bfloat16_any_cpu";  // emulated or not, this test's steps are tiny
  train(task, options, "task: line\n", "", true);
  ASSERT_EQ(task.step_dtypes_.size(), 40u);
  EXPECT_EQ(task.step_dtypes_.front(), at::kBFloat16);
  EXPECT_EQ(task.line_->weight.scalar_type(), at::kFloat);
  EXPECT_LT(task.validate()[0].second, 0.05 * before);
  // Autocast ends with the step: validation and later work run in float32.
  EXPECT_EQ(task.line_->forward(torch::ones({1, 1})).scalar_type(), at::kFloat);

  DtypeRecordingLineTask float32_task;
  train(float32_task, options_in(dir, 1), "task: line\n", "", true);
  EXPECT_EQ(float32_task.step_dtypes_.front(), at::kFloat);
}

TEST(Trainer, PrecisionIsFloat32OrBfloat16) {
  for (const std::string precision : {"float32", "auto", "bfloat16_any_cpu"}) {
    auto good = Config::from_text("train: {precision: " + precision + "}\n", "t.yaml");
    EXPECT_EQ(read_trainer_options(good.section("train")).precision, precision);
  }
  // bfloat16 itself only where it is native: else refused at its line, before any data is read.
  auto asked = Config::from_text("train: {precision: bfloat16}\n", "t.yaml");
  if (cpu_has_native_bfloat16() || torch::cuda::is_available()) {
    EXPECT_EQ(read_trainer_options(asked.section("train")).precision, "bfloat16");
  } else {
    const auto refusal = testing::error_of([&] { read_trainer_options(asked.section("train")); });
    EXPECT_NE(refusal.find("t.yaml:1:"), std::string::npos) << refusal;
    EXPECT_NE(refusal.find("no native bfloat16"), std::string::npos) << refusal;
  }
  auto bad = Config::from_text("train: {precision: float16}\n", "t.yaml");
  const auto message = testing::error_of([&] { read_trainer_options(bad.section("train")); });
  EXPECT_NE(message.find("precision"), std::string::npos) << message;
  EXPECT_NE(message.find("float16"), std::string::npos) << message;
}

TEST(Trainer, MetricsLogAsJsonLines) {
  TempDir dir;
  LineTask task;
  auto options = options_in(dir, 1);
  options.log_file = "metrics.jsonl";
  train(task, options, "", "", true);
  std::ifstream log(dir.file("run/metrics.jsonl"));
  std::string line;
  std::getline(log, line);
  EXPECT_EQ(line.rfind("{\"epoch\": 1, \"step\": 8, \"train_loss\": ", 0), 0u) << line;
}

}  // namespace
}  // namespace vedkit
