#include "core/model_file.h"

#include <gtest/gtest.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/modules/batchnorm.h>
#include <torch/optim/adamw.h>
#include <torch/serialize.h>

#include <filesystem>
#include <fstream>

#include "core/error.h"
#include "core/model_file_records.h"
#include "tests/support/temp_dir.h"

namespace vedkit {
namespace {

using testing::TempDir;

struct TinyImpl : torch::nn::Module {
  explicit TinyImpl(int64_t width) {
    conv = register_module("conv", torch::nn::Conv2d(torch::nn::Conv2dOptions(3, width, 3)));
    bn = register_module("bn", torch::nn::BatchNorm2d(width));
    head = register_module("head", torch::nn::Linear(width, 2));
  }
  torch::nn::Conv2d conv{nullptr};
  torch::nn::BatchNorm2d bn{nullptr};
  torch::nn::Linear head{nullptr};
};
TORCH_MODULE(Tiny);

std::string model_file_error(const std::string& path) {
  try {
    ModelFile::open(path);
  } catch (const ModelFileError& e) {
    return e.what();
  }
  return "";
}

TEST(ModelFile, RoundTripKeepsEverything) {
  TempDir dir;
  torch::manual_seed(1);
  Tiny model(4);
  model->bn->running_mean.fill_(0.5);
  torch::optim::AdamW optimizer(model->parameters(), torch::optim::AdamWOptions(1e-3));
  model->head->forward(torch::randn({1, 4})).sum().backward();
  optimizer.step();

  ModelFileContents contents;
  contents.config_yaml = "task: segmentation\n";
  contents.vocabulary = {"<pad>", "a", "bag"};
  contents.train_state.step = 120;
  contents.train_state.epoch = 3;
  contents.train_state.best_metric = 0.75;
  contents.train_state.best_metric_name = "mIoU";
  contents.train_state.rng_state = torch::randint(0, 255, {16}, torch::kUInt8);
  const auto path = dir.file("model.vdk");
  write_model_file(path, *model, contents, &optimizer);

  auto file = ModelFile::open(path);
  EXPECT_EQ(file.contents().config_yaml, contents.config_yaml);
  EXPECT_EQ(file.contents().vocabulary, contents.vocabulary);
  EXPECT_EQ(file.contents().train_state.step, 120);
  EXPECT_EQ(file.contents().train_state.epoch, 3);
  EXPECT_DOUBLE_EQ(file.contents().train_state.best_metric, 0.75);
  EXPECT_EQ(file.contents().train_state.best_metric_name, "mIoU");
  EXPECT_TRUE(torch::equal(file.contents().train_state.rng_state, contents.train_state.rng_state));

  Tiny copy(4);
  file.load_weights(*copy);
  EXPECT_TRUE(torch::equal(copy->conv->weight, model->conv->weight));
  EXPECT_TRUE(torch::equal(copy->bn->running_mean, model->bn->running_mean));

  torch::optim::AdamW restored(copy->parameters(), torch::optim::AdamWOptions(1e-3));
  EXPECT_TRUE(file.load_optimizer(restored));
  EXPECT_EQ(restored.state().size(), optimizer.state().size());
}

TEST(ModelFile, WriteLeavesNoTemporaryFile) {
  TempDir dir;
  Tiny model(2);
  write_model_file(dir.file("m.vdk"), *model, {});
  write_model_file(dir.file("m.vdk"), *model, {});  // replaces in place
  size_t files = 0;
  for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator(dir.path())) ++files;
  EXPECT_EQ(files, 1u);
}

TEST(ModelFile, FileWithoutOptimizerSaysSo) {
  TempDir dir;
  Tiny model(2);
  write_model_file(dir.file("m.vdk"), *model, {});
  torch::optim::AdamW optimizer(model->parameters());
  EXPECT_FALSE(ModelFile::open(dir.file("m.vdk")).load_optimizer(optimizer));
}

TEST(ModelFile, TruncatedFileIsReported) {
  TempDir dir;
  Tiny model(8);
  const auto path = dir.file("m.vdk");
  write_model_file(path, *model, {});
  std::filesystem::resize_file(path, std::filesystem::file_size(path) / 2);
  const auto message = model_file_error(path);
  EXPECT_NE(message.find("truncated or corrupt"), std::string::npos) << message;
}

// Overwrites 4 bytes of the file with `with`, `offset` bytes into the first place where
// `bytes` lie.
void overwrite(const std::string& path, const std::string& bytes, size_t offset,
               const char* with = "\xde\xad\xbe\xef") {
  std::fstream file(path, std::ios::in | std::ios::out | std::ios::binary);
  const std::string content((std::istreambuf_iterator<char>(file)), {});
  const size_t at = content.find(bytes);
  ASSERT_NE(at, std::string::npos) << "not in " << path;
  file.seekp(static_cast<std::streamoff>(at + offset));
  file.write(with, 4);
}

TEST(ModelFile, ADamagedWeightIsRefusedByName) {
  TempDir dir;
  Tiny model(8);
  const auto path = dir.file("m.vdk");
  write_model_file(path, *model, {});
  EXPECT_TRUE(damaged_records(path).empty());
  const auto& weight = model->conv->weight;
  overwrite(path, std::string(static_cast<const char*>(weight.data_ptr()), weight.nbytes()),
            weight.nbytes() / 2);
  ASSERT_EQ(damaged_records(path).size(), 1u);
  const auto message = model_file_error(path);
  EXPECT_NE(message.find(path + ": damaged model file: record 'data/"), std::string::npos)
      << message;
  EXPECT_NE(message.find("(weight 'conv.weight') fails its checksum"), std::string::npos)
      << message;
}

// A small model file in dir.
std::string tiny_model_file(const TempDir& dir) {
  Tiny model(8);
  const auto path = dir.file("m.vdk");
  write_model_file(path, *model, {});
  return path;
}

TEST(ModelFile, ADamagedIndexIsRefusedByName) {
  TempDir dir;
  const auto path = tiny_model_file(dir);
  overwrite(path, "vedkit-model", 6);  // the format's name, in the archive's pickled index
  const auto message = model_file_error(path);
  EXPECT_NE(message.find("record 'data.pkl' (the index of every other record) fails its "
                         "checksum"),
            std::string::npos)
      << message;
}

// Found by fuzzing: torch's reader allocated whatever size the zip directory gave a record.
TEST(ModelFile, ARecordSizeBeyondTheFileIsRefusedUnread) {
  TempDir dir;
  const auto path = tiny_model_file(dir);
  // The first central-directory entry's uncompressed size (24 bytes into it) to 1.8 GB.
  overwrite(path, std::string("PK\x01\x02", 4), 24, "\x00\x00\x00\x6c");
  const auto message = model_file_error(path);
  EXPECT_NE(message.find("a size beyond what the file holds"), std::string::npos) << message;
}

TEST(ModelFile, TheBundledModelsPassTheirChecksums) {
  for (const char* name : {"segmentation_scenes_resnet18", "autoencoder_fashion_mnist",
                           "captioning_scenes_resnet18"}) {
    const std::string path = std::string(VEDKIT_SOURCE_DIR) + "/models/" + name + ".vdk";
    EXPECT_TRUE(damaged_records(path).empty()) << path;
  }
}

TEST(ModelFile, ForeignFilesAreReported) {
  TempDir dir;
  const auto text = dir.write("notes.vdk", "just some text\n");
  EXPECT_NE(model_file_error(text).find("not a zip archive"), std::string::npos);
  EXPECT_NE(model_file_error(dir.file("missing.vdk")).find("cannot open"), std::string::npos);

  const auto archive = dir.file("plain_torch.pt");
  torch::save(torch::ones({2}), archive);
  EXPECT_NE(model_file_error(archive).find("not a vedkit model file"), std::string::npos);
}

TEST(ModelFile, MismatchedWeightsNameTheTensor) {
  TempDir dir;
  Tiny small(4);
  write_model_file(dir.file("m.vdk"), *small, {});
  Tiny wide(8);
  try {
    ModelFile::open(dir.file("m.vdk")).load_weights(*wide);
    FAIL() << "a shape mismatch must throw";
  } catch (const ModelFileError& e) {
    EXPECT_NE(std::string(e.what()).find("'conv.weight' is [4, 3, 3, 3] in the file, [8, 3, 3, 3]"),
              std::string::npos)
        << e.what();
  }
}

TEST(ModelFile, ExtraOrMissingWeightsAreReported) {
  TempDir dir;
  Tiny model(2);
  write_model_file(dir.file("m.vdk"), *model, {});
  torch::nn::Linear other(2, 2);
  EXPECT_THROW(ModelFile::open(dir.file("m.vdk")).load_weights(*other), ModelFileError);
  // Loading a sub-module by prefix ignores the rest of the file.
  torch::nn::Linear head(4, 2);
  Tiny source(4);
  write_model_file(dir.file("n.vdk"), *source, {});
  ModelFile::open(dir.file("n.vdk")).load_weights(*head, "head.");
  EXPECT_TRUE(torch::equal(head->weight, source->head->weight));
}

}  // namespace
}  // namespace vedkit

namespace vedkit {
namespace {

TEST(ModelFile, InferenceCopyDropsTrainingStateOnly) {
  testing::TempDir dir;
  Tiny model(16);
  torch::optim::AdamW optimizer(model->parameters());
  model->head->forward(torch::randn({1, 16})).sum().backward();
  optimizer.step();
  ModelFileContents contents;
  contents.config_yaml = "task: x\n";
  contents.vocabulary = {"a", "b"};
  contents.train_state.epoch = 4;
  contents.train_state.rng_state = torch::ones({4}, torch::kUInt8);
  write_model_file(dir.file("full.vdk"), *model, contents, &optimizer);
  ModelFile::open(dir.file("full.vdk")).write_inference_copy(dir.file("small.vdk"));

  EXPECT_LT(std::filesystem::file_size(dir.file("small.vdk")),
            std::filesystem::file_size(dir.file("full.vdk")));
  const auto small = ModelFile::open(dir.file("small.vdk"));
  EXPECT_EQ(small.contents().config_yaml, "task: x\n");
  EXPECT_EQ(small.contents().vocabulary, contents.vocabulary);
  EXPECT_EQ(small.contents().train_state.epoch, 4);
  EXPECT_FALSE(small.contents().train_state.rng_state.defined());
  torch::optim::AdamW fresh(model->parameters());
  EXPECT_FALSE(small.load_optimizer(fresh));
  Tiny copy(16);
  small.load_weights(*copy);
  EXPECT_TRUE(torch::equal(copy->conv->weight, model->conv->weight));
}

TEST(ModelFile, Float16CopyHalvesTheFileAndLoadsTheRoundedWeights) {
  testing::TempDir dir;
  Tiny model(1024);  // large enough that the weights outweigh the archive's entries
  model->bn->forward(torch::randn({2, 1024, 3, 3}));  // running statistics and a batch count
  write_model_file(dir.file("full.vdk"), *model, {});
  ModelFile::open(dir.file("full.vdk"))
      .write_inference_copy(dir.file("half.vdk"), {}, StoredWeights::Float16);

  const auto full = std::filesystem::file_size(dir.file("full.vdk"));
  const auto half = std::filesystem::file_size(dir.file("half.vdk"));
  EXPECT_LT(half, full * 0.6) << full << " -> " << half;
  Tiny copy(1024);
  ModelFile::open(dir.file("half.vdk")).load_weights(*copy);
  EXPECT_EQ(copy->conv->weight.scalar_type(), torch::kFloat);
  EXPECT_TRUE(
      torch::equal(copy->conv->weight, model->conv->weight.to(torch::kHalf).to(torch::kFloat)));
  EXPECT_FALSE(torch::equal(copy->conv->weight, model->conv->weight));  // it was rounded
  EXPECT_TRUE(torch::equal(copy->bn->running_var,
                           model->bn->running_var.to(torch::kHalf).to(torch::kFloat)));
  EXPECT_EQ(copy->bn->num_batches_tracked.item<int64_t>(), 1);

  torch::NoGradGuard no_grad;
  model->head->bias.fill_(1e5);
  write_model_file(dir.file("large.vdk"), *model, {});
  try {
    ModelFile::open(dir.file("large.vdk"))
        .write_inference_copy(dir.file("bad.vdk"), {}, StoredWeights::Float16);
    FAIL() << "1e5 does not fit float16";
  } catch (const ModelFileError& e) {
    EXPECT_NE(std::string(e.what()).find("'head.bias' holds values beyond float16's range"),
              std::string::npos)
        << e.what();
  }
  EXPECT_FALSE(std::filesystem::exists(dir.file("bad.vdk")));
}

}  // namespace
}  // namespace vedkit

namespace vedkit {
namespace {

TEST(ModelFile, InferenceCopyCanAverageSnapshots) {
  testing::TempDir dir;
  Tiny first(4), second(4), third(4);
  for (auto* model : {&first, &second, &third}) (*model)->bn->forward(torch::randn({2, 4, 3, 3}));
  third->bn->forward(torch::randn({2, 4, 3, 3}));  // a larger batch count, an integer buffer
  ModelFileContents contents;
  contents.vocabulary = {"a", "b"};
  write_model_file(dir.file("1.vdk"), *first, contents);
  write_model_file(dir.file("2.vdk"), *second, contents);
  write_model_file(dir.file("3.vdk"), *third, contents);
  ModelFile::open(dir.file("3.vdk"))
      .write_inference_copy(dir.file("mean.vdk"), {ModelFile::open(dir.file("1.vdk")),
                                                   ModelFile::open(dir.file("2.vdk"))});
  Tiny mean(4);
  ModelFile::open(dir.file("mean.vdk")).load_weights(*mean);
  EXPECT_TRUE(torch::allclose(mean->conv->weight,
                              (first->conv->weight + second->conv->weight + third->conv->weight) / 3,
                              1e-6, 1e-7));
  EXPECT_TRUE(torch::allclose(
      mean->bn->running_var,
      (first->bn->running_var + second->bn->running_var + third->bn->running_var) / 3, 1e-6, 1e-7));
  EXPECT_EQ(mean->bn->num_batches_tracked.item<int64_t>(), 2);

  Tiny wide(8);
  write_model_file(dir.file("wide.vdk"), *wide, contents);
  ModelFileContents other_words = contents;
  other_words.vocabulary = {"b", "a"};
  write_model_file(dir.file("words.vdk"), *first, other_words);
  for (const auto* name : {"wide.vdk", "words.vdk"}) {
    try {
      ModelFile::open(dir.file("1.vdk"))
          .write_inference_copy(dir.file("bad.vdk"), {ModelFile::open(dir.file(name))});
      FAIL() << name << " must not average with 1.vdk";
    } catch (const ModelFileError& e) {
      EXPECT_NE(std::string(e.what()).find(std::string(name) + ": cannot be averaged with"),
                std::string::npos)
          << e.what();
    }
  }
  EXPECT_FALSE(std::filesystem::exists(dir.file("bad.vdk")));
}

}  // namespace
}  // namespace vedkit
