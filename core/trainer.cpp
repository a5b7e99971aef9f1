#include "core/trainer.h"

#include <ATen/CPUGeneratorImpl.h>
#include <torch/cuda.h>
#include <torch/nn/utils/clip_grad.h>
#include <torch/optim/adamw.h>
#include <torch/optim/sgd.h>
#include <yaml-cpp/yaml.h>

#include <cmath>
#include <filesystem>
#include <iostream>
#include <mutex>
#include <optional>

#include "core/distributed.h"
#include "core/error.h"
#include "core/gradient_reducer.h"
#include "core/interrupt.h"
#include "core/metrics_log.h"
#include "core/precision.h"
#include "core/progress.h"

namespace vedkit {

TrainerOptions read_trainer_options(ConfigSection train) {
  TrainerOptions options;
  options.optimizer = train.get_string("optimizer", options.optimizer, {"adamw", "sgd"});
  options.lr = train.get_real("lr", options.lr, {0.0, 10.0});
  options.weight_decay = train.get_real("weight_decay", options.weight_decay, {0.0, 1.0});
  options.momentum = train.get_real("momentum", options.momentum, {0.0, 1.0});
  options.epochs = train.get_int("epochs", options.epochs, {1, 100000});
  options.warmup_epochs = train.get_real("warmup_epochs", options.warmup_epochs, {0.0, 1e5});
  options.min_lr_ratio = train.get_real("min_lr_ratio", options.min_lr_ratio, {0.0, 1.0});
  options.grad_clip = train.get_real("grad_clip", options.grad_clip, {0.0, 1e6});
  options.encoder_lr_scale =
      train.get_real("encoder_lr_scale", options.encoder_lr_scale, {0.0, 100.0});
  options.precision = train.get_string("precision", options.precision,
                                       {"float32", "bfloat16", "auto", "bfloat16_any_cpu"});
  // Training runs on the CPU wherever there is no GPU: refuse emulated bfloat16 here, at the
  // key's line, before any data is read.
  try {
    runs_in_bfloat16(options.precision, torch::cuda::is_available() ? c10::kCUDA : c10::kCPU);
  } catch (const Error& refusal) {
    train.fail("precision", refusal.what());
  }
  options.checkpoint_every =
      train.get_int("checkpoint_every", options.checkpoint_every, {0, int64_t{1} << 40});
  options.out_dir = train.get_string("out_dir", options.out_dir);
  options.log_file = train.get_string("log_file", options.log_file);
  options.preview = train.get_bool("preview", options.preview);
  options.distributed = read_distributed_options(train.section("distributed"));
  return options;
}

double scheduled_lr(const TrainerOptions& options, int64_t step, int64_t total_steps,
                    int64_t warmup_steps) {
  if (step < warmup_steps) return options.lr * (step + 1) / warmup_steps;
  const double progress =
      static_cast<double>(step - warmup_steps) / std::max<int64_t>(1, total_steps - warmup_steps);
  const double cosine = 0.5 * (1 + std::cos(M_PI * std::min(1.0, progress)));
  return options.lr * (options.min_lr_ratio + (1 - options.min_lr_ratio) * cosine);
}

namespace {

// Below this many optimizer steps the trainer warns that the run is short.
constexpr int64_t kFewSteps = 300;

// One parameter group, or two when the encoder's learning rate is scaled: the rest first,
// then the parameters named "encoder.*".
std::vector<torch::optim::OptimizerParamGroup> group_parameters(const TrainerOptions& options,
                                                                torch::nn::Module& model) {
  if (options.encoder_lr_scale == 1.0) return {torch::optim::OptimizerParamGroup(model.parameters())};
  std::vector<at::Tensor> rest, encoder;
  for (const auto& named : model.named_parameters()) {
    (named.key().rfind("encoder.", 0) == 0 ? encoder : rest).push_back(named.value());
  }
  if (encoder.empty()) {
    throw Error("train.encoder_lr_scale: this model has no parameters named encoder.*; "
                "remove the setting");
  }
  return {torch::optim::OptimizerParamGroup(rest), torch::optim::OptimizerParamGroup(encoder)};
}

std::unique_ptr<torch::optim::Optimizer> make_optimizer(
    const TrainerOptions& options, std::vector<torch::optim::OptimizerParamGroup> groups) {
  if (options.optimizer == "sgd") {
    return std::make_unique<torch::optim::SGD>(std::move(groups),
                                               torch::optim::SGDOptions(options.lr)
                                                   .momentum(options.momentum)
                                                   .weight_decay(options.weight_decay));
  }
  return std::make_unique<torch::optim::AdamW>(
      std::move(groups), torch::optim::AdamWOptions(options.lr).weight_decay(options.weight_decay));
}

bool improved(double value, double best, bool higher_is_better) {
  if (std::isnan(value)) return false;
  if (std::isnan(best)) return true;
  return higher_is_better ? value > best : value < best;
}

// Whether two run configs differ in their data section, where the validation set is named.
bool data_differ(const std::string& saved_yaml, const std::string& current_yaml) {
  const YAML::Node saved = YAML::Load(saved_yaml), current = YAML::Load(current_yaml);
  return YAML::Dump(saved["data"]) != YAML::Dump(current["data"]);
}

// Every rank starts from rank 0's weights and buffers, as DistributedDataParallel does.
void broadcast_from_rank_0(torch::nn::Module& model, RankGroup& group) {
  torch::NoGradGuard no_grad;
  std::vector<at::Tensor> tensors;
  for (const auto& p : model.parameters()) tensors.push_back(p);
  for (const auto& b : model.buffers()) tensors.push_back(b);
  if (!tensors.empty()) group.broadcast(tensors);
}

// The step's loss averaged over the ranks, and whether any rank was interrupted.
std::pair<double, bool> agree_on_step(double loss, bool interrupted, RankGroup* group) {
  if (group == nullptr) return {loss, interrupted};
  std::vector<at::Tensor> values{at::tensor({loss, interrupted ? 1.0 : 0.0}, at::kDouble)};
  group->all_reduce_sum(values);
  const auto* sums = values[0].data_ptr<double>();
  return {sums[0] / static_cast<double>(group->size()), sums[1] > 0};
}

// Each logged scalar averaged over the ranks.
void average_logs(std::map<std::string, double>& logs, RankGroup* group) {
  if (group == nullptr || logs.empty()) return;
  std::vector<double> values;
  for (const auto& [key, value] : logs) values.push_back(value);
  std::vector<at::Tensor> sums{at::tensor(values, at::kDouble)};
  group->all_reduce_sum(sums);
  size_t i = 0;
  for (auto& [key, value] : logs) value = sums[0][i++].item<double>() / static_cast<double>(group->size());
}

}  // namespace

TrainResult train(TrainingTask& task, const TrainerOptions& options, const std::string& config_yaml,
                  const std::string& resume_from, bool quiet) {
  torch::nn::Module& model = task.model();
  const auto parameters = model.parameters();
  const auto device = parameters.empty() ? c10::kCPU : parameters.front().device().type();
  auto optimizer = make_optimizer(options, group_parameters(options, model));
  RankGroup* group = current_group();
  // Only rank 0 writes model files, logs and previews, and says what happens.
  const bool writes = group == nullptr || group->rank() == 0;
  quiet = quiet || !writes;
  if (writes) std::filesystem::create_directories(options.out_dir);
  TrainResult result;
  result.last_path = (std::filesystem::path(options.out_dir) / "last.vdk").string();
  result.best_path = (std::filesystem::path(options.out_dir) / "best.vdk").string();

  ModelFileContents contents;
  contents.config_yaml = config_yaml;
  contents.vocabulary = task.vocabulary();
  TrainState& state = contents.train_state;
  state.best_metric_name = task.best_metric();
  const auto file =
      resume_from.empty() ? std::optional<ModelFile>() : ModelFile::open(resume_from);
  if (file) file->check_trainable();
  if (file && file->contents().vocabulary != contents.vocabulary) {
    if (!task.fine_tunes_to_new_vocabulary()) {
      throw ModelFileError(resume_from + ": its vocabulary differs from this run's, so its token "
                           "embeddings would not match; resume with the task that wrote it");
    }
    const auto fresh = file->load_matching_weights(model);
    if (!quiet) {
      std::cout << "fine-tuning " << resume_from << " (" << file->contents().vocabulary.size()
                << " classes) to this run's " << contents.vocabulary.size() << ": "
                << fresh.size() << " tensors start afresh";
      for (size_t i = 0; i < fresh.size() && i < 4; ++i) std::cout << (i ? ", " : " (") << fresh[i];
      std::cout << (fresh.empty() ? "" : fresh.size() > 4 ? ", ...)" : ")")
                << "; the optimizer and the step start afresh too\n";
    }
  } else if (file) {
    file->load_weights(model);
    file->load_optimizer(*optimizer);
    state = file->contents().train_state;
    // Steps count global batches: at another world size, as many samples make other counts.
    const int64_t world_size = group == nullptr ? 1 : group->size();
    const int64_t saved_world_size = std::max<int64_t>(1, state.world_size);
    if (saved_world_size != world_size) {
      state.step = state.step * saved_world_size / world_size;
      state.epoch_batches = state.epoch_batches * saved_world_size / world_size;
      if (!quiet) {
        std::cout << resume_from << " was trained on " << saved_world_size << " rank(s), this run has "
                  << world_size << ": its step and batch counts are scaled to match\n";
      }
    }
    if (state.rng_state.defined()) {
      auto generator = at::detail::getDefaultCPUGenerator();  // a handle to the global one
      std::lock_guard<std::mutex> lock(generator.mutex());
      generator.set_state(state.rng_state);
    }
    if (!quiet) {
      std::cout << "resuming " << resume_from << " at epoch " << state.epoch + 1;
      if (state.epoch_batches > 0) std::cout << ", batch " << state.epoch_batches + 1;
      std::cout << "\n";
    }
    if (data_differ(file->contents().config_yaml, config_yaml)) {
      // A best score on other validation data would hold back best.vdk for no reason.
      state.best_metric = std::nan("");
      if (!quiet) {
        std::cout << "data differ from the resumed run's: the best " << state.best_metric_name
                  << " starts afresh\n";
      }
    }
  }

  const int64_t batches = task.batches_per_epoch();
  const int64_t total_steps = batches * options.epochs;
  const auto warmup_steps = static_cast<int64_t>(options.warmup_epochs * batches);
  if (total_steps < kFewSteps && writes) {
    // Said even with --quiet, once: a run this short rarely learns much, and nothing else tells.
    std::cerr << "warning: this run takes only " << total_steps << " optimizer steps ("
              << options.epochs << " epochs of " << batches << " batches); models rarely learn "
              << "much in under " << kFewSteps << ": raise train.epochs, or lower data.batch_size\n";
  }
  std::optional<MetricsLog> log;
  if (writes) log.emplace((std::filesystem::path(options.out_dir) / options.log_file).string());
  state.world_size = group == nullptr ? 1 : group->size();
  auto save = [&](const std::string& path) {
    if (!writes) return;
    state.rng_state = at::detail::getDefaultCPUGenerator().get_state();
    write_model_file(path, model, contents, optimizer.get());
  };
  std::unique_ptr<GradientReducer> reducer;
  if (group != nullptr) {
    broadcast_from_rank_0(model, *group);
    reducer = std::make_unique<GradientReducer>(model.parameters(), *group, group->options().bucket_mb);
  }

  install_interrupt_handler();
  for (int64_t epoch = state.epoch; epoch < options.epochs; ++epoch) {
    // An interrupted epoch goes on from the batch after the last one it ran.
    const int64_t first_batch = std::min(state.epoch_batches, batches);
    model.train();
    task.start_epoch(epoch, first_batch);
    Progress progress("epoch " + std::to_string(epoch + 1) + "/" + std::to_string(options.epochs),
                      batches - first_batch, quiet);
    double loss_sum = 0;
    int64_t batches_run = 0;
    std::map<std::string, double> logs;
    bool stop = false;
    for (int64_t batch = first_batch; batch < batches; ++batch) {
      const double lr = scheduled_lr(options, state.step, total_steps, warmup_steps);
      auto& groups = optimizer->param_groups();
      groups[0].options().set_lr(lr);
      if (groups.size() > 1) groups[1].options().set_lr(lr * options.encoder_lr_scale);
      optimizer->zero_grad();
      at::Tensor loss;
      {
        MixedPrecisionScope mixed_precision(options.precision, device);
        loss = task.train_step(logs);
      }
      const auto [step_loss, interrupted] = agree_on_step(loss.item<double>(), interrupt_requested(), group);
      if (!std::isfinite(step_loss)) {
        throw Error("training diverged (loss is " + std::to_string(step_loss) + ") at step " +
                    std::to_string(state.step) + "; lower train.lr; " + result.last_path +
                    " keeps the last good epoch");
      }
      loss.backward();
      if (reducer) reducer->finish_backward();
      if (options.grad_clip > 0) torch::nn::utils::clip_grad_norm_(model.parameters(), options.grad_clip);
      optimizer->step();
      ++state.step;
      state.epoch_batches = batch + 1;
      ++batches_run;
      loss_sum += step_loss;
      char status[64];
      std::snprintf(status, sizeof status, "loss %.4f lr %.2e", loss_sum / batches_run, lr);
      progress.advance(1, status);
      if (interrupted) {  // on any rank: all of them stop here
        stop = true;
        break;
      }
      if (options.checkpoint_every > 0 && state.step % options.checkpoint_every == 0 &&
          batch + 1 < batches) {
        save(result.last_path);  // the epoch's end writes it anyway
      }
    }
    progress.finish();
    if (stop) {
      save(result.last_path);
      result.interrupted = true;
      if (!quiet) std::cout << "interrupted: saved " << result.last_path << " (resume with --resume)\n";
      clear_interrupt();
      return result;
    }

    model.eval();
    average_logs(logs, group);
    std::vector<std::pair<std::string, double>> record = {
        {"epoch", epoch + 1}, {"step", state.step}, {"train_loss", loss_sum / batches_run}};
    for (const auto& [key, value] : logs) record.emplace_back(key, value);
    double metric = std::nan("");
    for (const auto& [key, value] : task.validate()) {
      record.emplace_back(key, value);
      if (key == task.best_metric()) metric = value;
    }
    if (log) log->write(record);
    contents.anomaly_threshold = task.anomaly_threshold();
    state.epoch = epoch + 1;
    state.epoch_batches = 0;
    if (improved(metric, state.best_metric, task.higher_is_better())) {
      state.best_metric = metric;
      save(result.best_path);
    }
    save(result.last_path);
    if (options.preview && writes) {
      task.save_preview((std::filesystem::path(options.out_dir) / ("preview_epoch" + std::to_string(epoch + 1))).string());
    }
    if (!quiet) {
      std::cout << "epoch " << epoch + 1 << ": train_loss " << loss_sum / batches_run << ", "
                << task.best_metric() << " " << metric << " (best " << state.best_metric << ")\n";
    }
    result.epochs_done = epoch + 1;
  }
  result.best_metric = state.best_metric;
  return result;
}

}  // namespace vedkit
