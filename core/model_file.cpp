#include "core/model_file.h"

#include <torch/serialize/input-archive.h>
#include <torch/serialize/output-archive.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>

#include <fcntl.h>
#include <unistd.h>

#include "core/config.h"
#include "core/error.h"
#include "core/model_file_records.h"

namespace vedkit {
namespace {

constexpr const char* kFormatName = "vedkit-model";

std::string shape_text(const torch::Tensor& tensor) {
  std::string text = "[";
  for (int64_t i = 0; i < tensor.dim(); ++i) {
    text += (i ? ", " : "") + std::to_string(tensor.size(i));
  }
  return text + "]";
}

std::vector<std::pair<std::string, torch::Tensor>> named_state(const torch::nn::Module& module) {
  std::vector<std::pair<std::string, torch::Tensor>> state;
  for (const auto& item : module.named_parameters()) state.emplace_back(item.key(), item.value());
  for (const auto& item : module.named_buffers()) state.emplace_back(item.key(), item.value());
  return state;
}

void write_contents(torch::serialize::OutputArchive& archive, const ModelFileContents& contents,
                    const c10::IValue& weights) {
  archive.write("format", c10::IValue(std::string(kFormatName)));
  archive.write("format_version", c10::IValue(kModelFileVersion));
  archive.write("config_yaml", c10::IValue(contents.config_yaml));
  c10::List<std::string> vocabulary;
  for (const auto& word : contents.vocabulary) vocabulary.push_back(word);
  archive.write("vocabulary", c10::IValue(vocabulary));
  archive.write("weights", weights);
  if (std::isfinite(contents.anomaly_threshold)) {
    archive.write("anomaly_threshold", c10::IValue(contents.anomaly_threshold));
  }
  if (!contents.int8_ranges.empty()) {
    archive.write("int8_ranges", torch::tensor(contents.int8_ranges), true);
    archive.write("int8_layers", c10::IValue(contents.int8_layers));
  }

  const TrainState& state = contents.train_state;
  archive.write("step", c10::IValue(state.step));
  archive.write("epoch", c10::IValue(state.epoch));
  archive.write("epoch_batches", c10::IValue(state.epoch_batches));
  archive.write("world_size", c10::IValue(state.world_size));
  archive.write("best_metric", c10::IValue(state.best_metric));
  archive.write("best_metric_name", c10::IValue(state.best_metric_name));
  if (state.rng_state.defined()) archive.write("rng_state", state.rng_state, true);
}

// The archive in memory first: torch's writer, on a full disk, throws from a destructor and
// aborts the process. Then a temporary file beside the target, synced, renamed over it, so a
// crash or a power cut leaves either the old file or the new one.
void save_atomically(torch::serialize::OutputArchive& archive, const std::string& path) {
  std::string bytes;
  archive.save_to([&bytes](const void* data, size_t size) {
    bytes.append(static_cast<const char*>(data), size);
    return size;
  });
  const std::filesystem::path target(path);
  if (target.has_parent_path()) std::filesystem::create_directories(target.parent_path());
  const std::string temporary = path + ".tmp." + std::to_string(::getpid());
  auto fail = [&](const std::string& what) {
    const std::string reason = std::strerror(errno);
    std::filesystem::remove(temporary);
    return ModelFileError(path + ": cannot write the model file (" + what + ": " + reason +
                          "); free some space or write elsewhere; any earlier file there is "
                          "unchanged");
  };
  const int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) throw fail("cannot create " + temporary);
  for (size_t done = 0; done < bytes.size();) {
    const ssize_t wrote = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (wrote < 0 && errno == EINTR) continue;
    if (wrote <= 0) {
      ::close(fd);
      throw fail("wrote " + std::to_string(done) + " of " + std::to_string(bytes.size()) +
                 " bytes");
    }
    done += static_cast<size_t>(wrote);
  }
  if (::fsync(fd) != 0) {
    ::close(fd);
    throw fail("cannot sync it to disk");
  }
  if (::close(fd) != 0) throw fail("cannot close it");
  if (std::rename(temporary.c_str(), path.c_str()) != 0) throw fail("cannot rename it");
}

// The records that vedkit reads, checked for their types: a file that passes its checksums
// may still hold what another program wrote.
void read_contents(torch::serialize::InputArchive& archive, const std::string& path,
                   ModelFileContents& contents) {
  c10::IValue value;
  if (!archive.try_read("format", value) || !value.isString() ||
      value.toStringRef() != kFormatName) {
    throw ModelFileError(path + ": a PyTorch archive but not a vedkit model file; convert "
                         "PyTorch weights with scripts/import_torchvision.py");
  }
  archive.read("format_version", value);
  if (value.toInt() > kModelFileVersion) {
    throw ModelFileError(path + ": model file format " + std::to_string(value.toInt()) +
                         " is newer than this build reads (" +
                         std::to_string(kModelFileVersion) + "); update vedkit");
  }
  archive.read("config_yaml", value);
  contents.config_yaml = value.toStringRef();
  archive.read("vocabulary", value);
  for (const auto& word : value.toListRef()) contents.vocabulary.push_back(word.toStringRef());
  archive.read("step", value);
  contents.train_state.step = value.toInt();
  archive.read("epoch", value);
  contents.train_state.epoch = value.toInt();
  if (archive.try_read("epoch_batches", value)) contents.train_state.epoch_batches = value.toInt();
  if (archive.try_read("world_size", value)) contents.train_state.world_size = value.toInt();
  if (archive.try_read("anomaly_threshold", value)) contents.anomaly_threshold = value.toDouble();
  torch::Tensor int8_ranges;
  if (archive.try_read("int8_ranges", int8_ranges, true)) {
    const auto ranges = int8_ranges.to(torch::kFloat).contiguous();
    contents.int8_ranges.assign(ranges.data_ptr<float>(), ranges.data_ptr<float>() + ranges.numel());
    if (archive.try_read("int8_layers", value)) contents.int8_layers = value.toStringRef();
  }
  archive.read("best_metric", value);
  contents.train_state.best_metric = value.toDouble();
  archive.read("best_metric_name", value);
  contents.train_state.best_metric_name = value.toStringRef();
  torch::Tensor rng;
  if (archive.try_read("rng_state", rng, true)) contents.train_state.rng_state = rng;
}

c10::Dict<std::string, at::Tensor> weights_in(torch::serialize::InputArchive& archive) {
  c10::IValue value;
  archive.read("weights", value);
  return c10::impl::toTypedDict<std::string, at::Tensor>(value.toGenericDict());
}

// " (weight 'NAME')" for the weight whose bytes `content` are, found among the file's weights
// as torch reads them back; "" where none is or they cannot be read.
std::string weight_holding(const std::string& path, const std::string& content) {
  try {
    torch::serialize::InputArchive archive;
    archive.load_from(path);
    for (const auto& entry : weights_in(archive)) {
      const at::Tensor& t = entry.value();
      if (t.is_contiguous() && t.nbytes() == content.size() &&
          std::memcmp(t.data_ptr(), content.data(), t.nbytes()) == 0) {
        return " (weight '" + entry.key() + "')";
      }
    }
  } catch (const std::exception&) {
    // The weights themselves cannot be read back: the record's name is all there is to say.
  }
  return "";
}

// The one line for a file with damaged records. torch's reader trusts the rest of the archive:
// it allocates whatever sizes the zip directory and the pickled index give, and its
// TorchScript parser crashed (SIGSEGV, under fuzzing) on a damaged code/ record. So the file
// goes to it, to name the damaged weight, only where tensor data alone is damaged.
std::string damage_report(const std::string& path, const std::vector<DamagedRecord>& damaged) {
  const DamagedRecord& first = damaged.front();
  if (first.oversized) {
    return path + ": damaged model file: its zip directory gives record '" + first.name +
           "' a size beyond what the file holds; use an intact copy";
  }
  std::string what = "record '" + first.name + "'";
  if (first.name == "data.pkl") what += " (the index of every other record)";
  const bool tensor_data_only =
      std::all_of(damaged.begin(), damaged.end(),
                  [](const DamagedRecord& r) { return r.name.rfind("data/", 0) == 0; });
  if (tensor_data_only) what += weight_holding(path, first.content);
  return path + ": damaged model file: " + what +
         (damaged.size() == 1
              ? " fails its checksum"
              : " and " + std::to_string(damaged.size() - 1) + " more records fail their checksums") +
         "; use an intact copy";
}

// float32 tensors as float16; others as they are.
c10::Dict<std::string, at::Tensor> to_float16(const c10::Dict<std::string, at::Tensor>& weights,
                                              const std::string& path) {
  constexpr double kFloat16Max = 65504;
  c10::Dict<std::string, at::Tensor> converted;
  for (const auto& entry : weights) {
    const at::Tensor& tensor = entry.value();
    if (tensor.scalar_type() != torch::kFloat) {
      converted.insert(entry.key(), tensor);
      continue;
    }
    if (tensor.numel() > 0 && tensor.abs().max().item<double>() > kFloat16Max) {
      throw ModelFileError(path + ": '" + entry.key() +
                           "' holds values beyond float16's range; keep it as trained");
    }
    converted.insert(entry.key(), tensor.to(torch::kHalf));
  }
  return converted;
}

}  // namespace

void write_model_file(const std::string& path, const torch::nn::Module& module,
                      const ModelFileContents& contents,
                      const torch::optim::Optimizer* optimizer) {
  c10::Dict<std::string, at::Tensor> weights;
  for (const auto& [name, tensor] : named_state(module)) {
    weights.insert(name, tensor.detach().to(torch::kCPU).contiguous());
  }
  torch::serialize::OutputArchive archive;
  write_contents(archive, contents, c10::IValue(weights));
  if (optimizer != nullptr) {
    torch::serialize::OutputArchive optimizer_archive;
    optimizer->save(optimizer_archive);
    archive.write("optimizer", optimizer_archive);
  }
  save_atomically(archive, path);
}

void ModelFile::check_trainable() const {
  if (!contents_.int8_ranges.empty()) {
    throw ModelFileError(path_ + ": an int8 inference file (vedkit-export --int8) cannot be trained; "
                         "train from the float32 model file it was exported from");
  }
}

ModelFile ModelFile::open(const std::string& path) {
  std::ifstream probe(path, std::ios::binary);
  if (!probe) throw ModelFileError(path + ": cannot open model file; check the path");
  char magic[4] = {};
  probe.read(magic, 4);
  if (probe.gcount() < 4 || std::string(magic, 4) != std::string("PK\x03\x04", 4)) {
    throw ModelFileError(path + ": not a vedkit model file (not a zip archive); give a file "
                         "written by vedkit-train");
  }
  if (const auto damaged = damaged_records(path); !damaged.empty()) {
    throw ModelFileError(damage_report(path, damaged));
  }
  ModelFile file;
  file.path_ = path;
  file.archive_ = std::make_shared<torch::serialize::InputArchive>();
  try {
    file.archive_->load_from(path);
  } catch (const std::exception& e) {  // c10::Error, and torch::jit's parse errors
    throw ModelFileError(path + ": truncated or corrupt model file (" + one_line_reason(e) +
                         "); use an intact copy");
  }
  try {
    read_contents(*file.archive_, path, file.contents_);
  } catch (const ModelFileError&) {
    throw;
  } catch (const std::exception& e) {
    throw ModelFileError(path + ": a vedkit model file with malformed contents (" +
                         one_line_reason(e) + "); use an intact copy");
  }
  return file;
}

std::string ModelFile::task() const {
  auto config = Config::from_text(contents_.config_yaml, path_ + " (its config)");
  return config.root().get_string("task", "");
}

Config ModelFile::model_config() const {
  return Config::from_text(contents_.config_yaml, path_ + " (its config)",
                           {"model.encoder.init_from=\"\"", "model.encoder.weights=\"\""});
}

void ModelFile::load_weights(torch::nn::Module& module) const { load_weights(module, ""); }

void ModelFile::load_weights(torch::nn::Module& module, const std::string& prefix) const {
  const auto weights = read_weights();
  auto mismatch = [this](const std::string& what) {
    return ModelFileError(path_ + ": weights do not match the model its config builds: " + what);
  };
  size_t matched = 0;
  torch::NoGradGuard no_grad;
  for (auto& [name, tensor] : named_state(module)) {
    const auto found = weights.find(prefix + name);
    if (found == weights.end()) throw mismatch("'" + prefix + name + "' is missing");
    const at::Tensor stored = found->value();
    if (stored.sizes() != tensor.sizes()) {
      throw mismatch("'" + prefix + name + "' is " + shape_text(stored) + " in the file, " +
                     shape_text(tensor) + " in the model");
    }
    tensor.copy_(stored);
    ++matched;
  }
  if (prefix.empty() && matched != weights.size()) {
    for (const auto& entry : weights) {
      const std::string& name = entry.key();
      bool known = false;
      for (const auto& item : named_state(module)) known = known || item.first == name;
      if (!known) throw mismatch("the file has '" + name + "', which the model does not");
    }
  }
}

std::vector<std::string> ModelFile::load_matching_weights(torch::nn::Module& module) const {
  const auto weights = read_weights();
  std::vector<std::string> left;
  torch::NoGradGuard no_grad;
  for (auto& [name, tensor] : named_state(module)) {
    const auto found = weights.find(name);
    if (found == weights.end() || found->value().sizes() != tensor.sizes()) {
      left.push_back(name);
    } else {
      tensor.copy_(found->value());
    }
  }
  return left;
}

c10::Dict<std::string, at::Tensor> ModelFile::read_weights() const {
  return weights_in(*archive_);
}

c10::Dict<std::string, at::Tensor> ModelFile::mean_weights(
    const std::vector<ModelFile>& others) const {
  auto weights = read_weights();
  std::map<std::string, at::Tensor> sums;
  for (const auto& entry : weights) {
    if (entry.value().is_floating_point()) sums[entry.key()] = entry.value().to(torch::kDouble);
  }
  for (const auto& other : others) {
    auto mismatch = [&](const std::string& what) {
      return ModelFileError(other.path() + ": cannot be averaged with " + path_ + ": " + what +
                            "; average snapshots of one run");
    };
    if (other.contents().vocabulary != contents_.vocabulary) throw mismatch("other vocabulary");
    const auto other_weights = other.read_weights();
    if (other_weights.size() != weights.size()) throw mismatch("other tensors");
    for (auto& [name, sum] : sums) {
      const auto found = other_weights.find(name);
      if (found == other_weights.end()) throw mismatch("no '" + name + "'");
      if (found->value().sizes() != sum.sizes()) {
        throw mismatch("'" + name + "' is " + shape_text(found->value()) + ", not " +
                       shape_text(sum));
      }
      sum += found->value().to(torch::kDouble);
    }
  }
  const double count = static_cast<double>(others.size() + 1);
  for (const auto& [name, sum] : sums) {
    weights.insert_or_assign(name, (sum / count).to(weights.at(name).scalar_type()));
  }
  return weights;
}

void ModelFile::write_inference_copy(const std::string& path, const std::vector<ModelFile>& others,
                                     StoredWeights stored) const {
  auto weights = others.empty() ? read_weights() : mean_weights(others);
  if (stored == StoredWeights::Float16) weights = to_float16(weights, path_);
  ModelFileContents contents = contents_;
  contents.train_state.rng_state = torch::Tensor();
  torch::serialize::OutputArchive archive;
  write_contents(archive, contents, c10::IValue(weights));
  save_atomically(archive, path);
}

bool ModelFile::load_optimizer(torch::optim::Optimizer& optimizer) const {
  torch::serialize::InputArchive optimizer_archive;
  if (!archive_->try_read("optimizer", optimizer_archive)) return false;
  optimizer.load(optimizer_archive);
  return true;
}

}  // namespace vedkit
