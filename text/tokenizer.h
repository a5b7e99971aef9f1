#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/config.h"

namespace vedkit {

// Turns captions into token ids and back. Every tokenizer numbers its special tokens the same
// way (<pad> 0, <bos> 1, <eos> 2, <unk> 3), so a decoder needs no tokenizer-specific ids.
class Tokenizer {
 public:
  virtual ~Tokenizer() = default;

  // The ids of a caption's tokens, without <bos> and <eos>.
  virtual std::vector<int64_t> encode(const std::string& caption) const = 0;
  // The caption of ids; special tokens (<unk> included) are skipped.
  virtual std::string decode(const std::vector<int64_t>& ids) const = 0;
  virtual int64_t vocab_size() const = 0;
  // What the model file stores; tokenizer_from_vocabulary rebuilds this tokenizer from it.
  virtual std::vector<std::string> to_vocabulary() const = 0;
  virtual std::string type() const = 0;  // "word" or "bpe"

  int64_t pad_id() const { return 0; }
  int64_t bos_id() const { return 1; }
  int64_t eos_id() const { return 2; }
  int64_t unk_id() const { return 3; }
  static const std::vector<std::string>& special_tokens();  // <pad> <bos> <eos> <unk>

 protected:
  // Throws std::out_of_range for an id outside [0, vocab_size()).
  void check_id(int64_t id) const;
};

struct TokenizerOptions {
  std::string type = "word";  // word | bpe
  // word: rarer words of the training captions become <unk>. 5 is what neuraltalk2 and
  // Show, Attend and Tell use on COCO and Flickr.
  int64_t min_frequency = 5;
  // bpe: the largest vocabulary, specials included (fewer pieces on a small corpus).
  int64_t vocab_size = 1000;
};

// Reads type and the keys of that type only, so a key of the other type is reported unknown.
TokenizerOptions read_tokenizer_options(ConfigSection section);

// Learns a tokenizer from the training captions; captions without a single word are a DataError.
std::unique_ptr<Tokenizer> build_tokenizer(const TokenizerOptions& options,
                                           const std::vector<std::string>& captions);

// Rebuilds a tokenizer from to_vocabulary()'s output, recognising its type; anything else is a
// ModelFileError.
std::unique_ptr<Tokenizer> tokenizer_from_vocabulary(const std::vector<std::string>& vocabulary);

}  // namespace vedkit
