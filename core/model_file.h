#pragma once

#include <torch/nn/module.h>
#include <torch/optim/optimizer.h>

#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "core/config.h"

namespace torch::serialize {
class InputArchive;
}

namespace vedkit {

// Training progress kept in a model file so that `--resume` continues where a run stopped.
struct TrainState {
  int64_t step = 0;
  int64_t epoch = 0;
  int64_t epoch_batches = 0;  // batches of epoch `epoch` run before an interrupt
  int64_t world_size = 1;     // ranks the run trained with; steps count global batches
  double best_metric = std::nan("");
  std::string best_metric_name;
  torch::Tensor rng_state;  // CPU generator state; undefined when not saved
};

// What a model file holds besides the weights.
struct ModelFileContents {
  std::string config_yaml;
  std::vector<std::string> vocabulary;
  TrainState train_state;
  // An autoencoder's image anomaly score above which an image is anomalous, chosen on the
  // normal images its training held out; NaN where none was chosen.
  double anomaly_threshold = std::nan("");
  // Int8 inference (vedkit-export --int8): the calibrated largest magnitude of each value of
  // the model's inference graph, in the graph's order (empty: float32), and which layers run
  // in int8 and which in float32, as text.
  std::vector<float> int8_ranges;
  std::string int8_layers;
};

constexpr int64_t kModelFileVersion = 1;

enum class StoredWeights { AsTrained, Float16 };

// Writes module's parameters and buffers, the contents and (when given) the optimizer to
// path atomically: a temporary file beside it, then a rename.
void write_model_file(const std::string& path, const torch::nn::Module& module,
                      const ModelFileContents& contents,
                      const torch::optim::Optimizer* optimizer = nullptr);

// An opened model file. Opening checks that it is a vedkit model of a version this build
// reads; a truncated, foreign or newer file is a ModelFileError saying which.
class ModelFile {
 public:
  static ModelFile open(const std::string& path);

  const ModelFileContents& contents() const { return contents_; }
  // To change what write_inference_copy writes besides the weights (vedkit-export --int8).
  ModelFileContents& contents() { return contents_; }
  // A ModelFileError for an int8 inference file: training starts from float32 weights.
  void check_trainable() const;
  // The `task` its config names (segmentation, autoencoder, ...); "" when none.
  std::string task() const;
  // Its config, to rebuild the model from, with the encoder's starting weights
  // (model.encoder.weights, init_from) cleared: the file holds the trained weights, and those
  // files may be gone or relative to another folder.
  Config model_config() const;
  const std::string& path() const { return path_; }

  // Copies the weights into module; a missing, extra or differently shaped tensor is a
  // ModelFileError naming it.
  void load_weights(torch::nn::Module& module) const;
  // The same for a sub-module whose names carry prefix ("encoder." loads just the encoder).
  void load_weights(torch::nn::Module& module, const std::string& prefix) const;
  // For fine-tuning: copies every weight whose name and shape the model shares and returns
  // the names of the model's tensors left as they were (a classifier for another class count).
  std::vector<std::string> load_matching_weights(torch::nn::Module& module) const;
  // Returns false when the file holds no optimizer state.
  bool load_optimizer(torch::optim::Optimizer& optimizer) const;

  // Writes a copy without the optimizer and RNG state (about a third of the size after AdamW),
  // for shipping; step, epoch and best metric stay as a record. With others, its weights are the
  // mean of this file's and theirs (checkpoint averaging: the snapshots of a run's last epochs);
  // integer buffers (batch counts) are this file's. Files whose vocabularies or tensor names or
  // shapes differ are a ModelFileError naming the other file. StoredWeights::Float16 stores
  // float32 weights as float16, about half the file; load_weights turns them back into the
  // model's type. A weight beyond float16's range is a ModelFileError naming it.
  void write_inference_copy(const std::string& path, const std::vector<ModelFile>& others = {},
                            StoredWeights stored = StoredWeights::AsTrained) const;

 private:
  c10::Dict<std::string, at::Tensor> read_weights() const;
  // This file's weights averaged with others' (integer buffers stay this file's).
  c10::Dict<std::string, at::Tensor> mean_weights(const std::vector<ModelFile>& others) const;

  std::string path_;
  ModelFileContents contents_;
  std::shared_ptr<torch::serialize::InputArchive> archive_;
};

}  // namespace vedkit
