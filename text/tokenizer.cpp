#include "text/tokenizer.h"

#include <stdexcept>

#include "core/error.h"
#include "text/bpe_tokenizer.h"
#include "text/caption_words.h"
#include "text/word_tokenizer.h"

namespace vedkit {

const std::vector<std::string>& Tokenizer::special_tokens() {
  static const std::vector<std::string> names = {"<pad>", "<bos>", "<eos>", "<unk>"};
  return names;
}

void Tokenizer::check_id(int64_t id) const {
  if (id < 0 || id >= vocab_size()) {
    throw std::out_of_range("token id " + std::to_string(id) + " is outside the vocabulary of " +
                            std::to_string(vocab_size()));
  }
}

TokenizerOptions read_tokenizer_options(ConfigSection section) {
  TokenizerOptions options;
  options.type = section.get_string("type", options.type, {"word", "bpe"});
  if (options.type == "word") {
    options.min_frequency = section.get_int("min_frequency", options.min_frequency, {1, 1000000});
  } else {
    options.vocab_size = section.get_int("vocab_size", options.vocab_size, {8, 1000000});
  }
  return options;
}

std::unique_ptr<Tokenizer> build_tokenizer(const TokenizerOptions& options,
                                           const std::vector<std::string>& captions) {
  bool has_words = false;
  for (size_t i = 0; i < captions.size() && !has_words; ++i) {
    has_words = !caption_words(captions[i]).empty();
  }
  if (!has_words) throw DataError("no training caption has a word to learn a vocabulary from");
  if (options.type == "word") {
    return std::make_unique<WordTokenizer>(WordTokenizer::train(captions, options.min_frequency));
  }
  if (options.type == "bpe") {
    return std::make_unique<BpeTokenizer>(BpeTokenizer::train(captions, options.vocab_size));
  }
  throw ConfigError("tokenizer.type: '" + options.type + "' is not word or bpe");
}

std::unique_ptr<Tokenizer> tokenizer_from_vocabulary(const std::vector<std::string>& vocabulary) {
  if (!vocabulary.empty() && vocabulary[0] == BpeTokenizer::kMarker) {
    return std::make_unique<BpeTokenizer>(BpeTokenizer::from_vocabulary(vocabulary));
  }
  if (!vocabulary.empty() && vocabulary[0] == Tokenizer::special_tokens()[0]) {
    return std::make_unique<WordTokenizer>(vocabulary);
  }
  throw ModelFileError(
      "the model file's vocabulary is not a caption tokenizer's (it starts with neither <pad> "
      "nor " +
      std::string(BpeTokenizer::kMarker) + "); is it a captioning model?");
}

}  // namespace vedkit
