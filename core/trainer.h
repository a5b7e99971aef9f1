#pragma once

#include <torch/nn/module.h>

#include <cmath>

#include <map>
#include <string>
#include <vector>

#include "core/config.h"
#include "core/distributed.h"
#include "core/model_file.h"

namespace vedkit {

// What a task (segmentation, autoencoding, captioning) gives the generic training loop.
class TrainingTask {
 public:
  virtual ~TrainingTask() = default;

  virtual torch::nn::Module& model() = 0;
  virtual int64_t batches_per_epoch() = 0;
  // Begins an epoch at its batch first_batch (non-zero only when resuming an interrupted epoch).
  virtual void start_epoch(int64_t epoch, int64_t first_batch) = 0;
  // Loads the next batch, runs the model and returns the loss (the trainer does backward).
  // Extra scalars to log go in `logs`.
  virtual at::Tensor train_step(std::map<std::string, double>& logs) = 0;
  // Scores on the validation split, one of them named by best_metric().
  virtual std::vector<std::pair<std::string, double>> validate() = 0;
  virtual std::string best_metric() const = 0;
  virtual bool higher_is_better() const { return true; }
  // Saves a PNG of a few predictions (path without extension; the task adds it).
  virtual void save_preview(const std::string& path_stem) = 0;
  // The vocabulary to store with the model (captioning); empty otherwise.
  virtual std::vector<std::string> vocabulary() const { return {}; }
  // Whether --resume may start from a file of another vocabulary (other classes): its weights
  // of the same shape are kept, the rest start afresh, and so do the optimizer and the step.
  virtual bool fine_tunes_to_new_vocabulary() const { return false; }
  // The anomaly threshold the last validate() chose (autoencoders), stored with the weights it
  // was chosen for; NaN otherwise.
  virtual double anomaly_threshold() const { return std::nan(""); }
};

struct TrainerOptions {
  std::string optimizer = "adamw";  // adamw | sgd
  double lr = 1e-3;
  double weight_decay = 1e-4;
  double momentum = 0.9;
  int64_t epochs = 10;
  double warmup_epochs = 1.0;
  double min_lr_ratio = 0.01;
  double grad_clip = 1.0;  // max gradient norm; 0 = off
  // Multiplies the learning rate of the parameters named "encoder.*": below 1 keeps more of a
  // pre-trained encoder (model.encoder.init_from) while a fresh decoder learns at full rate.
  double encoder_lr_scale = 1.0;
  // float32, or bfloat16: forward and loss under autocast (MixedPrecisionScope), float32 weights;
  // auto and bfloat16_any_cpu as runs_in_bfloat16 says.
  std::string precision = "float32";
  // Every this many steps last.vdk is also written within an epoch (atomically), so a crash or
  // a SIGKILL loses at most that many steps; --resume continues from there. 0: at epoch ends.
  int64_t checkpoint_every = 0;
  std::string out_dir = "runs/train";
  std::string log_file = "metrics.csv";
  bool preview = true;
  DistributedOptions distributed;  // train.distributed: used where a launcher started ranks
};

TrainerOptions read_trainer_options(ConfigSection train);

// Learning rate at a step: linear warm-up, then cosine decay to lr * min_lr_ratio.
double scheduled_lr(const TrainerOptions& options, int64_t step, int64_t total_steps,
                    int64_t warmup_steps);

struct TrainResult {
  bool interrupted = false;
  int64_t epochs_done = 0;
  double best_metric = 0;
  std::string best_path, last_path;
};

// Runs the epochs: optimizer step with clipping and the schedule, validation each epoch,
// `last.vdk` every epoch and `best.vdk` when the metric improves (both written atomically,
// with the resolved config), a metrics log, and a preview PNG. Ctrl-C saves `last.vdk` and
// returns with interrupted set. resume_from continues weights, optimizer, step, epoch and RNG.
TrainResult train(TrainingTask& task, const TrainerOptions& options, const std::string& config_yaml,
                  const std::string& resume_from = "", bool quiet = false);

}  // namespace vedkit
