#include "text/tokenizer.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <stdexcept>

#include "core/error.h"
#include "tests/support/error_of.h"
#include "text/bpe_tokenizer.h"
#include "text/caption_words.h"
#include "text/word_tokenizer.h"

namespace vedkit {
namespace {

using testing::error_of;
using Ids = std::vector<int64_t>;

const std::vector<std::string> kCaptions = {
    "A dog runs on the grass.",
    "A brown dog is running on the grass",
    "Two cats sleep on a sofa",
    "A cat sleeps on a red sofa!",
    "A man rides a bike down the street",
    "A woman rides a horse on the beach",
    "Two dogs play with a ball on the beach",
    "A child in a pink dress climbs the stairs",
    "A man and a woman walk down the street",
    "The brown horse runs on the beach",
};

TEST(WordTokenizer, SpecialsFirstThenWordsByFrequency) {
  const auto tokenizer = WordTokenizer::train({"b a c a", "c a"}, 1);
  EXPECT_EQ(tokenizer.to_vocabulary(),
            (std::vector<std::string>{"<pad>", "<bos>", "<eos>", "<unk>", "a", "c", "b"}));
  EXPECT_EQ(tokenizer.pad_id(), 0);
  EXPECT_EQ(tokenizer.bos_id(), 1);
  EXPECT_EQ(tokenizer.eos_id(), 2);
  EXPECT_EQ(tokenizer.unk_id(), 3);
  EXPECT_EQ(tokenizer.vocab_size(), 7);
}

TEST(WordTokenizer, RoundTrip) {
  const auto tokenizer = WordTokenizer::train(kCaptions, 1);
  for (const auto& caption : kCaptions) {
    const auto ids = tokenizer.encode(caption);
    EXPECT_EQ(ids.size(), caption_words(caption).size());
    EXPECT_EQ(tokenizer.decode(ids), normalize_caption(caption));
  }
}

TEST(WordTokenizer, IgnoresCaseAndPunctuation) {
  const auto tokenizer = WordTokenizer::train(kCaptions, 1);
  EXPECT_EQ(tokenizer.encode("A DOG, on the Grass!"), tokenizer.encode("a dog on the grass"));
}

TEST(WordTokenizer, UnknownWordsAndRareWordsBecomeUnk) {
  const auto tokenizer = WordTokenizer::train(kCaptions, 2);
  // "pink" and "child" occur once, "zebra" never.
  const auto ids = tokenizer.encode("a pink zebra on the beach");
  ASSERT_EQ(ids.size(), 6u);
  EXPECT_EQ(ids[1], tokenizer.unk_id());
  EXPECT_EQ(ids[2], tokenizer.unk_id());
  EXPECT_NE(ids[0], tokenizer.unk_id());
  EXPECT_EQ(tokenizer.decode(ids), "a on the beach");  // specials are skipped
  EXPECT_LT(tokenizer.vocab_size(), WordTokenizer::train(kCaptions, 1).vocab_size());
}

TEST(WordTokenizer, DecodeSkipsSpecialsAndRejectsForeignIds) {
  const auto tokenizer = WordTokenizer::train(kCaptions, 1);
  auto ids = tokenizer.encode("a dog");
  ids.insert(ids.begin(), tokenizer.bos_id());
  ids.push_back(tokenizer.eos_id());
  ids.push_back(tokenizer.pad_id());
  EXPECT_EQ(tokenizer.decode(ids), "a dog");
  EXPECT_THROW(tokenizer.decode({tokenizer.vocab_size()}), std::out_of_range);
  EXPECT_THROW(tokenizer.decode({-1}), std::out_of_range);
}

TEST(BpeTokenizer, LearnsFrequentPiecesAndRoundTrips) {
  const auto tokenizer = BpeTokenizer::train(kCaptions, 80);
  EXPECT_LE(tokenizer.vocab_size(), 80);
  // Frequent words become one piece; a rare word is spelled from smaller ones.
  EXPECT_EQ(tokenizer.pieces("the beach"), (std::vector<std::string>{"▁the", "▁beach"}));
  EXPECT_GT(tokenizer.pieces("climbs").size(), 1u);
  for (const auto& caption : kCaptions) {
    const auto ids = tokenizer.encode(caption);
    for (const int64_t id : ids) EXPECT_GT(id, tokenizer.unk_id());
    EXPECT_EQ(tokenizer.decode(ids), normalize_caption(caption));
  }
  EXPECT_EQ(tokenizer.encode("A DOG, on the Grass!"), tokenizer.encode("a dog on the grass"));
  // Unseen words are spelled from known characters.
  EXPECT_EQ(tokenizer.decode(tokenizer.encode("a brown bird")), "a brown bird");
}

TEST(BpeTokenizer, SmallVocabularyIsTheAlphabet) {
  const auto tokenizer = BpeTokenizer::train({"ab ba", "ab"}, 7);  // 4 specials, ▁ a b
  EXPECT_EQ(tokenizer.vocab_size(), 7);
  EXPECT_EQ(tokenizer.pieces("ab"), (std::vector<std::string>{"▁", "a", "b"}));
  const auto larger = BpeTokenizer::train({"ab ba", "ab"}, 100);
  // "a b" (twice, and before "▁ a" on the tie), then "▁ ab"; pairs seen once are not merged.
  EXPECT_EQ(larger.vocab_size(), 9);
  EXPECT_EQ(larger.pieces("ab ba"), (std::vector<std::string>{"▁ab", "▁", "b", "a"}));
}

TEST(BpeTokenizer, UnseenCharactersBecomeUnk) {
  const auto tokenizer = BpeTokenizer::train(kCaptions, 80);
  const auto ids = tokenizer.encode("a quiz");  // no 'q' or 'z' in the captions
  EXPECT_EQ(std::count(ids.begin(), ids.end(), tokenizer.unk_id()), 2);
  EXPECT_EQ(tokenizer.decode(ids), "a ui");
}

TEST(TokenizerVocabulary, WordTokenizerRestores) {
  const auto trained = build_tokenizer(TokenizerOptions{}, kCaptions);
  const auto restored = tokenizer_from_vocabulary(trained->to_vocabulary());
  EXPECT_EQ(restored->type(), "word");
  EXPECT_EQ(restored->vocab_size(), trained->vocab_size());
  for (const auto& caption : kCaptions)
    EXPECT_EQ(restored->encode(caption), trained->encode(caption));
}

TEST(TokenizerVocabulary, BpeRestores) {
  TokenizerOptions options;
  options.type = "bpe";
  options.vocab_size = 60;
  const auto trained = build_tokenizer(options, kCaptions);
  const auto vocabulary = trained->to_vocabulary();
  EXPECT_EQ(vocabulary[0], "<bpe-v1>");
  EXPECT_EQ(vocabulary[1], "a");
  EXPECT_EQ(vocabulary.back().find(' ') != std::string::npos, true) << "the last entry is a merge";
  const auto restored = tokenizer_from_vocabulary(vocabulary);
  EXPECT_EQ(restored->type(), "bpe");
  EXPECT_EQ(restored->vocab_size(), trained->vocab_size());
  for (const auto& caption : kCaptions) {
    EXPECT_EQ(restored->encode(caption), trained->encode(caption));
    EXPECT_EQ(restored->decode(trained->encode(caption)), normalize_caption(caption));
  }
}

TEST(TokenizerVocabulary, ForeignOrDamagedVocabularyIsAModelFileError) {
  EXPECT_NE(error_of<ModelFileError>([] {
              tokenizer_from_vocabulary({"background", "cat"});
            }).find("is it a captioning model"),
            std::string::npos);
  EXPECT_THROW(tokenizer_from_vocabulary({}), ModelFileError);
  EXPECT_THROW(tokenizer_from_vocabulary({"<pad>", "<bos>", "a"}), ModelFileError);
  EXPECT_THROW(tokenizer_from_vocabulary({"<pad>", "<bos>", "<eos>", "<unk>", "a", "a"}),
               ModelFileError);
  EXPECT_THROW(tokenizer_from_vocabulary({"<bpe-v1>", "a", "b", "a"}), ModelFileError);
  EXPECT_THROW(tokenizer_from_vocabulary({"<bpe-v1>", "a", "a c"}), ModelFileError);
  EXPECT_THROW(tokenizer_from_vocabulary({"<bpe-v1>", "a", "a a", "b"}), ModelFileError);
  EXPECT_THROW(tokenizer_from_vocabulary({"<bpe-v1>", "a", "a a a"}), ModelFileError);
}

TokenizerOptions options_of(const std::string& yaml) {
  auto config = Config::from_text(yaml, "t.yaml");
  const auto options = read_tokenizer_options(config.section("tokenizer"));
  config.check_all_keys_known();
  return options;
}

TEST(TokenizerOptions, ReadsEachTypesKeys) {
  const auto word = options_of("tokenizer: {min_frequency: 3}\n");
  EXPECT_EQ(word.type, "word");
  EXPECT_EQ(word.min_frequency, 3);
  const auto bpe = options_of("tokenizer: {type: bpe, vocab_size: 500}\n");
  EXPECT_EQ(bpe.type, "bpe");
  EXPECT_EQ(bpe.vocab_size, 500);
}

TEST(TokenizerOptions, BadOptionsAreConfigErrors) {
  EXPECT_NE(error_of<ConfigError>([] {
              options_of("tokenizer: {type: chars}\n");
            }).find("tokenizer.type"),
            std::string::npos);
  EXPECT_THROW(options_of("tokenizer: {min_frequency: 0}\n"), ConfigError);
  EXPECT_THROW(options_of("tokenizer: {type: bpe, vocab_size: 4}\n"), ConfigError);
  // A key of the other type is unknown, not silently ignored.
  EXPECT_THROW(options_of("tokenizer: {type: bpe, min_frequency: 2}\n"), ConfigError);
  EXPECT_THROW(options_of("tokenizer: {vocab_size: 500}\n"), ConfigError);
}

TEST(TokenizerOptions, VocabularyBelowTheAlphabetIsAConfigError) {
  TokenizerOptions options;
  options.type = "bpe";
  options.vocab_size = 20;  // the captions have more characters
  EXPECT_NE(error_of<ConfigError>([&] { build_tokenizer(options, kCaptions); }).find("vocab_size"),
            std::string::npos);
}

TEST(TokenizerOptions, NoTrainingWordsIsADataError) {
  EXPECT_THROW(build_tokenizer(TokenizerOptions{}, {}), DataError);
  EXPECT_THROW(build_tokenizer(TokenizerOptions{}, {"", "..."}), DataError);
}

}  // namespace
}  // namespace vedkit
