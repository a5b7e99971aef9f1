#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

namespace vedkit {

// A tokenised caption (caption_words()).
using Words = std::vector<std::string>;
// n-gram -> occurrences; an n-gram is its words joined by single spaces.
using NgramCounts = std::unordered_map<std::string, int64_t>;

// The n-grams of order n (1 = words) in words.
NgramCounts ngram_counts(const Words& words, int n);

// Throws std::invalid_argument unless there is at least one image, one hypothesis per image and
// at least one reference for every image.
void check_corpus(const std::vector<Words>& hypotheses,
                  const std::vector<std::vector<Words>>& references);

}  // namespace vedkit
