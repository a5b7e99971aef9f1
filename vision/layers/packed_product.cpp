#include "vision/layers/packed_product.h"

#include <immintrin.h>
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <string>

#include "vision/inference/aligned_buffer.h"

// As in winograd.cpp: the instruction set is a function attribute, not a file-wide -mavx2, so
// nothing inline from the standard library is compiled for AVX2 here.
#define VEDKIT_AVX2 __attribute__((target("avx2,fma")))

namespace vedkit::packed_product {
namespace {

constexpr int kPanel = 16;  // output columns a panel: two AVX2 vectors
constexpr int kRows = 6;    // rows a tile: 6 x 2 accumulators, 12 of the 16 vector registers
// Below this many multiply-adds a product runs on one thread: waking the others costs more.
constexpr int64_t kParallelWork = 1 << 16;

// erf(x) = x P(x^2) / Q(x^2) on [-4, 4] (and +-1 beyond, where float erf is): the rational
// approximation Eigen and XLA use for float erf, within 4e-7 of std::erf.
VEDKIT_AVX2 inline __m256 erf8(__m256 x) {
  x = _mm256_max_ps(_mm256_min_ps(x, _mm256_set1_ps(4.0f)), _mm256_set1_ps(-4.0f));
  const __m256 x2 = _mm256_mul_ps(x, x);
  __m256 p = _mm256_set1_ps(-2.72614225801306e-10f);
  for (const float c : {2.77068142495902e-08f, -2.10102402082508e-06f, -5.69250639462346e-05f,
                        -7.34990630326855e-04f, -2.95459980854025e-03f, -1.60960333262415e-02f}) {
    p = _mm256_fmadd_ps(p, x2, _mm256_set1_ps(c));
  }
  __m256 q = _mm256_set1_ps(-1.45660718464996e-05f);
  for (const float c : {-2.13374055278905e-04f, -1.68282697438203e-03f, -7.37332916720468e-03f,
                        -1.42647390514189e-02f}) {
    q = _mm256_fmadd_ps(q, x2, _mm256_set1_ps(c));
  }
  return _mm256_div_ps(_mm256_mul_ps(p, x), q);
}

VEDKIT_AVX2 inline __m256 gelu8(__m256 v) {
  const __m256 e = erf8(_mm256_mul_ps(v, _mm256_set1_ps(0.70710678118654752f)));
  return _mm256_mul_ps(_mm256_mul_ps(_mm256_set1_ps(0.5f), v),
                       _mm256_add_ps(_mm256_set1_ps(1.0f), e));
}

// Writes a tile's sums t [rows][16] to y with bias, GELU and residual; `columns` (up to 16) are
// real, the rest padding.
VEDKIT_AVX2 void finish(const float* t, int rows, int columns, const Product& p, int64_t row,
                        int64_t column) {
  float bias[kPanel] = {};
  if (p.bias) std::copy(p.bias + column, p.bias + column + columns, bias);
  const __m256 bias0 = _mm256_loadu_ps(bias), bias1 = _mm256_loadu_ps(bias + 8);
  for (int r = 0; r < rows; ++r) {
    __m256 v[2] = {_mm256_add_ps(_mm256_load_ps(t + r * kPanel), bias0),
                   _mm256_add_ps(_mm256_load_ps(t + r * kPanel + 8), bias1)};
    if (p.gelu) v[0] = gelu8(v[0]), v[1] = gelu8(v[1]);
    float* y = p.y + (row + r) * p.y_stride + column;
    const float* residual =
        p.residual ? p.residual + (row + r) * p.residual_stride + column : nullptr;
    if (columns == kPanel) {
      for (int h = 0; h < 2; ++h) {
        if (residual) v[h] = _mm256_add_ps(v[h], _mm256_loadu_ps(residual + 8 * h));
        _mm256_storeu_ps(y + 8 * h, v[h]);
      }
    } else {
      alignas(32) float values[kPanel];
      _mm256_store_ps(values, v[0]);
      _mm256_store_ps(values + 8, v[1]);
      for (int c = 0; c < columns; ++c) y[c] = values[c] + (residual ? residual[c] : 0.0f);
    }
  }
}

// One tile: R rows of x times one panel, over all of in.
template <int R>
VEDKIT_AVX2 void tile(const Product& p, const float* panel, int64_t in, int64_t row, int64_t column,
                      int columns) {
  __m256 acc0[R], acc1[R];
#pragma GCC unroll 6
  for (int r = 0; r < R; ++r) acc0[r] = acc1[r] = _mm256_setzero_ps();
  // A pointer a row: one register each, where x + r * stride + k took an address sum each.
  const float* x[R];
#pragma GCC unroll 6
  for (int r = 0; r < R; ++r) x[r] = p.x + (row + r) * p.x_stride;
#pragma GCC unroll 4
  for (int64_t k = 0; k < in; ++k) {
    const __m256 b0 = _mm256_load_ps(panel + k * kPanel);
    const __m256 b1 = _mm256_load_ps(panel + k * kPanel + 8);
#pragma GCC unroll 6
    for (int r = 0; r < R; ++r) {
      const __m256 a = _mm256_broadcast_ss(x[r] + k);
      acc0[r] = _mm256_fmadd_ps(a, b0, acc0[r]);
      acc1[r] = _mm256_fmadd_ps(a, b1, acc1[r]);
    }
  }
  // Through memory, so that the accumulators stay in registers in the loop above.
  alignas(32) float sums[kRows * kPanel];
#pragma GCC unroll 6
  for (int r = 0; r < R; ++r) {
    _mm256_store_ps(sums + r * kPanel, acc0[r]);
    _mm256_store_ps(sums + r * kPanel + 8, acc1[r]);
  }
  finish(sums, R, columns, p, row, column);
}

using TileFunction = void (*)(const Product&, const float*, int64_t, int64_t, int64_t, int);
constexpr TileFunction kTiles[kRows + 1] = {nullptr, tile<1>, tile<2>, tile<3>,
                                            tile<4>, tile<5>, tile<6>};

// Rows [first_row, end_row) against panels [first_panel, end_panel): row blocks outside, so a
// block's rows stay in L1 while this part's panels stream from L2.
void run_part(const Product& p, const Weights& w, int64_t first_row, int64_t end_row,
              int64_t first_panel, int64_t end_panel) {
  for (int64_t row = first_row; row < end_row; row += kRows) {
    const int rows = static_cast<int>(std::min<int64_t>(kRows, end_row - row));
    for (int64_t panel = first_panel; panel < end_panel; ++panel) {
      const int columns = static_cast<int>(std::min<int64_t>(kPanel, w.out - panel * kPanel));
      kTiles[rows](p, w.panels.get() + panel * w.in * kPanel, w.in, row, panel * kPanel, columns);
    }
  }
}

}  // namespace

bool preferred() {
  static const bool answer = [] {
    __builtin_cpu_init();
    const char* set = std::getenv("VEDKIT_PACKED_PRODUCT");
    return (set == nullptr || std::string(set) != "0") && __builtin_cpu_supports("avx2") &&
           __builtin_cpu_supports("fma") && !__builtin_cpu_supports("avx512f");
  }();
  return answer;
}

Weights pack(const float* weight, int64_t out, int64_t in, int64_t row_stride) {
  const int64_t panels = (out + kPanel - 1) / kPanel;
  const size_t count = static_cast<size_t>(panels * in * kPanel);
  Weights w{
      out, in,
      std::shared_ptr<float>(static_cast<float*>(aligned_buffer(count * sizeof(float)).release()),
                             AlignedFree())};
  float* packed = w.panels.get();
  std::fill(packed, packed + count, 0.0f);
  for (int64_t o = 0; o < out; ++o) {
    float* column = packed + (o / kPanel) * in * kPanel + o % kPanel;
    for (int64_t k = 0; k < in; ++k) column[k * kPanel] = weight[o * row_stride + k];
  }
  return w;
}

void run(const Product& p, const Weights& w) {
  const int64_t panels = (w.out + kPanel - 1) / kPanel;
  const int64_t threads =
      p.rows * w.in * w.out < kParallelWork ? 1 : std::max(1, omp_get_max_threads());
  // Each thread takes a share of the panels (and so reads only its share of the weights), and
  // rows are split too where there are more threads than panels.
  const int64_t panel_groups = std::min(threads, panels);
  const int64_t row_blocks = (p.rows + kRows - 1) / kRows;
  const int64_t row_groups = std::min(row_blocks, (threads + panel_groups - 1) / panel_groups);
  const int64_t parts = panel_groups * row_groups;
#pragma omp parallel for schedule(static) if (parts > 1)
  for (int64_t part = 0; part < parts; ++part) {
    const int64_t g = part % panel_groups, r = part / panel_groups;
    const int64_t first_block = row_blocks * r / row_groups;
    const int64_t end_block = row_blocks * (r + 1) / row_groups;
    run_part(p, w, first_block * kRows, std::min(p.rows, end_block * kRows),
             panels * g / panel_groups, panels * (g + 1) / panel_groups);
  }
}

}  // namespace vedkit::packed_product
