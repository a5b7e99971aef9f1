// What a crash or a full disk leaves of vedkit-train's and vedkit-export's model files: killed
// with SIGKILL (the OOM killer, a preempted node, a power cut) at random moments, training must
// leave a file that loads and resumes to where an uninterrupted run ends; a disk that fills
// while a model file is written must give one clear line and leave the earlier file intact.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <optional>
#include <random>
#include <thread>

#include "core/model_file.h"
#include "tests/support/child_process.h"
#include "tests/support/run_command.h"
#include "tests/support/temp_dir.h"
#include "vision/segmentation/segmentation_model.h"

namespace vedkit {
namespace {

using testing::app;
using testing::TempDir;

// 3 epochs of the samples' training split in 32x32 crops, a checkpoint after every step.
std::string tiny_config(const std::string& out_dir) {
  return std::string("task: segmentation\n"
                     "model:\n  encoder: {type: resnet, depth: 18, width: 8}\n"
                     "  decoder: {channels: [16, 16, 8, 8, 8], num_classes: 11}\n"
                     "data:\n  root: ") +
         VEDKIT_SOURCE_DIR +
         "/datasets/samples\n  batch_size: 4\n  workers: 1\n  augment: {crop: 32}\n"
         "train:\n  lr: 0.01\n  epochs: 3\n  warmup_epochs: 0\n  preview: false\n"
         "  checkpoint_every: 1\n  out_dir: " +
         out_dir + "\nruntime: {seed: 3}\n";
}

// Starts vedkit-train with these arguments, its output to log; returns its process id.
pid_t start_training(const std::vector<std::string>& arguments, const std::string& log) {
  std::vector<std::string> argv = {app("vedkit-train")};
  argv.insert(argv.end(), arguments.begin(), arguments.end());
  return testing::start_process(argv, log);
}

// Every parameter and buffer of the segmentation model in a file, by name.
std::map<std::string, torch::Tensor> weights_in(const std::string& path) {
  const auto file = ModelFile::open(path);
  auto model = build_segmentation_model(file.model_config().section("model"));
  file.load_weights(*model);
  std::map<std::string, torch::Tensor> weights;
  for (const auto& p : model->named_parameters()) weights[p.key()] = p.value();
  for (const auto& b : model->named_buffers()) weights[b.key()] = b.value();
  return weights;
}

TEST(TrainKill, TwentyKillsResumeToTheWeightsOfAnUninterruptedRun) {
  TempDir dir;
  const auto config = dir.write("tiny.yaml", tiny_config(dir.file("whole")));
  const auto whole = testing::run_command(app("vedkit-train") + " --quiet --config " + config);
  ASSERT_EQ(whole.exit_code, 0) << whole.output;
  const auto expected = weights_in(dir.file("whole/last.vdk"));
  const int64_t steps = ModelFile::open(dir.file("whole/last.vdk")).contents().train_state.step;

  const std::string out = dir.file("killed");
  const std::string last = out + "/last.vdk";
  const std::string log = dir.file("killed.log");
  std::mt19937 random(20261207);
  // Kills land anywhere from start-up (LibTorch loading, data scanning) to late in the run.
  std::uniform_int_distribution<int> delay_ms(300, 2500);
  int kills = 0, resumed = 0;
  int64_t step = 0;
  while (kills < 20) {
    std::vector<std::string> arguments = {"--quiet", "--config", config, "--set",
                                          "train.out_dir=" + out};
    if (std::filesystem::exists(last)) {
      arguments.insert(arguments.end(), {"--resume", last});
      ++resumed;
    }
    const pid_t pid = start_training(arguments, log);
    ASSERT_GT(pid, 0);
    std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms(random)));
    // A run that has not exited yet is a zombie or a live process, so the kill always succeeds;
    // whether it landed is in the status.
    ASSERT_EQ(kill(pid, SIGKILL), 0);
    int status = 0;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    if (WIFEXITED(status)) {
      // It finished before the kill: the run is over; start it again from scratch to go on
      // killing (the test wants 20 kills, and what it checks is the state each leaves).
      ASSERT_EQ(WEXITSTATUS(status), 0);
      std::filesystem::remove_all(out);
      step = 0;
      continue;
    }
    ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << "status " << status;
    ++kills;
    if (!std::filesystem::exists(last)) continue;  // killed before its first checkpoint
    const auto file = ModelFile::open(last);  // throws if the kill left it damaged
    const int64_t now = file.contents().train_state.step;
    EXPECT_GE(now, step) << "kill " << kills << ": the checkpoint went back";
    step = now;
    weights_in(last);
  }
  // The last resume runs to the end.
  std::vector<std::string> arguments = {"--quiet", "--config", config, "--set",
                                        "train.out_dir=" + out};
  if (std::filesystem::exists(last)) arguments.insert(arguments.end(), {"--resume", last});
  const pid_t pid = start_training(arguments, log);
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "exit " << status;
  EXPECT_GT(resumed, 5) << "too few kills landed after a checkpoint to test resuming";

  EXPECT_EQ(ModelFile::open(last).contents().train_state.step, steps);
  const auto actual = weights_in(last);
  ASSERT_EQ(actual.size(), expected.size());
  for (const auto& [name, tensor] : expected) {
    EXPECT_TRUE(actual.at(name).equal(tensor)) << name << " differs after the kills";
  }
}

// Runs a shell script with a tmpfs of `kib` KiB mounted at mount_point, in a user and mount
// namespace of its own, so nothing outside sees the mount and no root is needed; nothing where
// this machine allows no such namespace.
std::optional<testing::CommandResult> run_on_small_disk(const std::string& mount_point, int64_t kib,
                                                        const std::string& script) {
  if (testing::run_command("unshare --user --map-root-user --mount true").exit_code != 0) {
    return std::nullopt;
  }
  std::filesystem::create_directories(mount_point);
  return testing::run_command("unshare --user --map-root-user --mount sh -c 'mount -t tmpfs -o size=" +
                              std::to_string(kib) + "k tmpfs " + mount_point + " && " + script +
                              "'");
}

int64_t kib_of(const std::string& path) {
  return static_cast<int64_t>(std::filesystem::file_size(path) / 1024);
}

// The tiny run's config in dir, after one epoch of it has trained into dir/run.
std::string config_after_one_epoch(const TempDir& dir) {
  const auto config = dir.write("tiny.yaml", tiny_config(dir.file("run")));
  const auto run = testing::run_command(app("vedkit-train") + " --quiet --config " + config +
                                        " --set train.epochs=1");
  EXPECT_EQ(run.exit_code, 0) << run.output;
  return config;
}

TEST(FullDisk, ExportSaysSoAndLeavesTheEarlierFileIntact) {
  TempDir dir;
  const auto config = config_after_one_epoch(dir);
  const std::string model = dir.file("run/last.vdk"), earlier = dir.file("exported.vdk"),
                    disk = dir.file("disk");
  ASSERT_EQ(testing::run_command(app("vedkit-export") + " --model " + model + " --out " + earlier)
                .exit_code,
            0);
  // Room for the earlier export and half of the new one.
  const auto result = run_on_small_disk(
      disk, kib_of(earlier) * 3 / 2,
      "cp " + earlier + " " + disk + "/model.vdk && " + app("vedkit-export") + " --model " +
          model + " --out " + disk + "/model.vdk; echo exit $?; cmp " + earlier + " " + disk +
          "/model.vdk && echo intact; ls " + disk);
  if (!result) GTEST_SKIP() << "no user and mount namespaces here";
  EXPECT_NE(result->output.find("exit 1"), std::string::npos) << result->output;
  EXPECT_NE(result->output.find(disk + "/model.vdk: cannot write the model file (wrote "),
            std::string::npos)
      << result->output;
  EXPECT_NE(result->output.find("No space left on device"), std::string::npos) << result->output;
  EXPECT_NE(result->output.find("intact"), std::string::npos) << result->output;
  EXPECT_EQ(result->output.find(".tmp."), std::string::npos) << "a temporary file was left";
}

TEST(FullDisk, TrainingStopsWithOneLineAndItsLastCheckpointResumes) {
  TempDir dir;
  const auto config = config_after_one_epoch(dir);
  // Room for one checkpoint and half of the next: the second write fails.
  const std::string disk = dir.file("disk"), kept = dir.file("kept.vdk");
  const auto result = run_on_small_disk(
      disk, kib_of(dir.file("run/last.vdk")) * 3 / 2,
      app("vedkit-train") + " --quiet --config " + config + " --set train.out_dir=" + disk +
          "; echo exit $?; cp " + disk + "/last.vdk " + kept);
  if (!result) GTEST_SKIP() << "no user and mount namespaces here";
  EXPECT_NE(result->output.find("exit 1"), std::string::npos) << result->output;
  EXPECT_NE(result->output.find(disk + "/last.vdk: cannot write the model file"), std::string::npos)
      << result->output;
  EXPECT_EQ(ModelFile::open(kept).contents().train_state.step, 1) << result->output;
  weights_in(kept);
}

}  // namespace
}  // namespace vedkit
