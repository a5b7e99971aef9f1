#pragma once

#include <torch/nn/module.h>
#include <torch/nn/pimpl.h>

#include <memory>
#include <string>
#include <vector>

#include "core/config.h"
#include "vision/encoders/state_dict.h"
#include "vision/inference/conv_graph.h"

namespace vedkit {

// One level of an encoder's feature pyramid: maps of `channels` at 1/`stride` of the input.
struct PyramidLevel {
  int64_t channels;
  int64_t stride;
};

// The contract every decoder is built on. An encoder declares its pyramid (finest first)
// before it sees data; forward returns one [B, C_i, H/s_i, W/s_i] map per level.
class EncoderImpl : public torch::nn::Module {
 public:
  virtual const std::vector<PyramidLevel>& pyramid() const = 0;
  virtual int64_t in_channels() const = 0;
  // Input height and width must be multiples of this.
  virtual int64_t size_multiple() const = 0;

  virtual std::vector<torch::Tensor> forward(const torch::Tensor& images) = 0;

  // The sequence a caption decoder attends to, [B, N, token_channels()]. By default the
  // coarsest pyramid level flattened; a ViT returns its patch tokens.
  virtual torch::Tensor tokens(const torch::Tensor& images);
  virtual int64_t token_channels() const { return pyramid().back().channels; }

  // Prepares for inference: folds batch-norm into convolutions where the encoder has them.
  // Training afterwards is not supported.
  virtual void fold_for_inference() {}

  // Once folded, adds the encoder's float32 inference to graph, reading `images` (normalised),
  // and answers its pyramid's values; nothing where it cannot be written as a ConvGraph.
  virtual std::vector<ConvGraph::Value> describe(ConvGraph& /*graph*/,
                                                 ConvGraph::Value /*images*/) const {
    return {};
  }

  // Int8 inference (vedkit-export --int8), once folded: the largest magnitude of each value
  // of the graph describe() writes, over inputs (normalised, [B, C, H, W] of sizes it takes);
  // use_int8 then runs the encoder's convolutions in int8 at those ranges. Encoders that run
  // no graph of their own (all but ResNet) refuse with std::invalid_argument.
  std::vector<float> calibrate_int8(const std::vector<torch::Tensor>& inputs) const;
  virtual void use_int8(std::vector<float> ranges);
  // Which of the graph's ops run in int8 and which in float32.
  std::string int8_layers() const;

  // Copies weights from a torchvision state dict (name -> tensor), adapting the first
  // convolution when in_channels differs from the dict's; returns a note for the log.
  virtual std::string load_torchvision(const StateDict& state) = 0;

 protected:
  // The whole pyramid as one graph; std::invalid_argument where the encoder cannot write one.
  std::shared_ptr<ConvGraph> pyramid_graph() const;
};

using Encoder = std::shared_ptr<EncoderImpl>;

// Builds the encoder named by section's `type` (resnet | mobilenet_v3 | vit) and loads
// `weights: FILE` (a state dict written by scripts/import_torchvision.py) when given, then
// `init_from: FILE`: the encoder of a vedkit model file (say an autoencoder's), which must
// have the same type and sizes.
Encoder build_encoder(ConfigSection section);

}  // namespace vedkit
