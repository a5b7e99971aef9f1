#include "vision/inference/winograd.h"

#include <immintrin.h>
#include <omp.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <string>

#include "vision/inference/aligned_buffer.h"

// The kernels carry their instruction set as a function attribute rather than a file-wide
// -mavx2, so that nothing inline from the standard library is compiled for AVX2 here and then
// picked by the linker for callers on other CPUs.
#define VEDKIT_AVX2 __attribute__((target("avx2,fma")))

namespace vedkit::winograd {
namespace {

constexpr int kAlpha = 6;            // input tile side: 4 outputs + 3 - 1
constexpr int kPoints = kAlpha * kAlpha;  // 36 products a tile
constexpr int kLanes = 8;            // channels a block (nChw8c), one AVX2 vector
constexpr int kPanel = 16;           // output channels a product's panel: two vectors
constexpr int kRows = 6;             // tiles a product's micro-kernel: 6 x 2 accumulators
constexpr int64_t kTilesPerBlock = 24;
// Below this many tiles, direct convolution does as well or better: its weights are a quarter
// the size of the transformed ones, and with so few products reading weights is what takes the
// time. On a Zen 3 (2 threads), one 512-channel layer alone ran at 0.73x direct's speed at 4x4
// (1 tile), 0.91x at 4x8 (2), 1.9x at 8x8 (4), but ResNet-18 at batch 1, 224x224, ran no
// faster with its 7x7 (4-tile) layers in Winograd, which then held 113 MB more weights.
constexpr int64_t kFewestTiles = 8;

int64_t tile_count(int64_t batch, int64_t height, int64_t width) {
  return batch * ((height + 3) / 4) * ((width + 3) / 4);
}

bool enabled_by_environment() {
  const char* set = std::getenv("VEDKIT_WINOGRAD");
  return set == nullptr || std::string(set) != "0";
}
std::atomic<bool> switched_on{enabled_by_environment()};
std::atomic<int64_t> run_count{0};

// One thread's transformed tiles and products, reused from block to block and call to call.
struct Scratch {
  AlignedBuffer tiles, products;
  size_t tiles_size = 0, products_size = 0;

  static float* fit(AlignedBuffer& buffer, size_t& size, size_t count) {
    if (size < count) {
      buffer = aligned_buffer(count * sizeof(float));
      size = count;
    }
    return static_cast<float*>(buffer.get());
  }
};
thread_local Scratch scratch;

// B^T d: the input transform along one direction.
VEDKIT_AVX2 inline void input_transform(const __m256 d[kAlpha], __m256 r[kAlpha]) {
  const __m256 four = _mm256_set1_ps(4.0f), five = _mm256_set1_ps(5.0f),
               two = _mm256_set1_ps(2.0f);
  const __m256 t1 = _mm256_fnmadd_ps(four, d[2], d[4]);  // d4 - 4 d2
  const __m256 t2 = _mm256_fnmadd_ps(four, d[1], d[3]);  // d3 - 4 d1
  const __m256 t3 = _mm256_sub_ps(d[4], d[2]);
  const __m256 t4 = _mm256_mul_ps(two, _mm256_sub_ps(d[3], d[1]));
  r[0] = _mm256_add_ps(_mm256_fnmadd_ps(five, d[2], _mm256_mul_ps(four, d[0])), d[4]);
  r[1] = _mm256_add_ps(t1, t2);
  r[2] = _mm256_sub_ps(t1, t2);
  r[3] = _mm256_add_ps(t3, t4);
  r[4] = _mm256_sub_ps(t3, t4);
  r[5] = _mm256_add_ps(_mm256_fnmadd_ps(five, d[3], _mm256_mul_ps(four, d[1])), d[5]);
}

// A^T m: the output transform along one direction.
VEDKIT_AVX2 inline void output_transform(const __m256 m[kAlpha], __m256 o[4]) {
  const __m256 a = _mm256_add_ps(m[1], m[2]), b = _mm256_sub_ps(m[1], m[2]);
  const __m256 c = _mm256_add_ps(m[3], m[4]), d = _mm256_sub_ps(m[3], m[4]);
  o[0] = _mm256_add_ps(_mm256_add_ps(m[0], a), c);
  o[1] = _mm256_fmadd_ps(_mm256_set1_ps(2.0f), d, b);
  o[2] = _mm256_fmadd_ps(_mm256_set1_ps(4.0f), c, a);
  o[3] = _mm256_add_ps(_mm256_fmadd_ps(_mm256_set1_ps(8.0f), d, b), m[5]);
}

struct Geometry {
  int64_t batch, height, width, tiles_down, tiles_across, tiles, in_blocks, out_blocks, panels;
  // The work is split into blocks of tiles and, where there are too few tiles to give every
  // thread whole blocks, into groups of output panels over one block: then each thread reads
  // only its part of the weights, which with few tiles is what takes the time.
  int64_t block_tiles, panel_groups, group_panels;

  Geometry(const Conv& conv, const Weights& weights)
      : batch(conv.batch),
        height(conv.height),
        width(conv.width),
        tiles_down((conv.height + 3) / 4),
        tiles_across((conv.width + 3) / 4),
        tiles(tile_count(batch, height, width)),
        in_blocks(weights.in_channels / kLanes),
        out_blocks(weights.out_channels / kLanes),
        panels((weights.out_channels + kPanel - 1) / kPanel) {
    const int64_t threads = std::max(1, omp_get_max_threads());
    if (tiles >= threads * kTilesPerBlock) {
      block_tiles = kTilesPerBlock;
      panel_groups = 1;
    } else {
      block_tiles = tiles;
      panel_groups = std::min(threads, panels);
    }
    group_panels = (panels + panel_groups - 1) / panel_groups;
  }
  int64_t blocks() const { return (tiles + block_tiles - 1) / block_tiles; }
};

// Transformed input tiles of one block: [36][in blocks][block tiles][8].
VEDKIT_AVX2 void transform_tiles(const Conv& conv, const Geometry& g, int64_t first, int64_t count,
                                 float* v) {
  const __m256 zero = _mm256_setzero_ps();
  const int64_t plane = g.height * g.width * kLanes;
  for (int64_t t = 0; t < count; ++t) {
    const int64_t tile = first + t;
    const int64_t n = tile / (g.tiles_down * g.tiles_across);
    const int64_t ty = tile / g.tiles_across % g.tiles_down, tx = tile % g.tiles_across;
    const int64_t y0 = ty * 4 - 1, x0 = tx * 4 - 1;
    for (int64_t cb = 0; cb < g.in_blocks; ++cb) {
      const float* src = conv.src + (n * g.in_blocks + cb) * plane;
      __m256 d[kAlpha][kAlpha], w[kAlpha][kAlpha];
      for (int i = 0; i < kAlpha; ++i) {
        const int64_t y = y0 + i;
        for (int j = 0; j < kAlpha; ++j) {
          const int64_t x = x0 + j;
          d[i][j] = y >= 0 && y < g.height && x >= 0 && x < g.width
                        ? _mm256_loadu_ps(src + (y * g.width + x) * kLanes)
                        : zero;
        }
      }
      for (int j = 0; j < kAlpha; ++j) {
        __m256 column[kAlpha], r[kAlpha];
        for (int i = 0; i < kAlpha; ++i) column[i] = d[i][j];
        input_transform(column, r);
        for (int i = 0; i < kAlpha; ++i) w[i][j] = r[i];
      }
      for (int i = 0; i < kAlpha; ++i) {
        __m256 r[kAlpha];
        input_transform(w[i], r);
        for (int j = 0; j < kAlpha; ++j) {
          _mm256_storeu_ps(v + (((i * kAlpha + j) * g.in_blocks + cb) * count + t) * kLanes, r[j]);
        }
      }
    }
  }
}

// out0, out1 (rows of 8 channels each) = a (R tiles x in-channels, blocks of 8 at a_step)
// times b (in-channels x 16, packed).
template <int R>
VEDKIT_AVX2 inline void product(const float* a, int64_t a_step, const float* b, int64_t in_blocks,
                                float* out0, float* out1) {
  __m256 acc0[R], acc1[R];
#pragma GCC unroll 6
  for (int r = 0; r < R; ++r) acc0[r] = acc1[r] = _mm256_setzero_ps();
  for (int64_t cb = 0; cb < in_blocks; ++cb, a += a_step, b += kLanes * kPanel) {
#pragma GCC unroll 8
    for (int j = 0; j < kLanes; ++j) {
      const __m256 b0 = _mm256_loadu_ps(b + j * kPanel), b1 = _mm256_loadu_ps(b + j * kPanel + 8);
#pragma GCC unroll 6
      for (int r = 0; r < R; ++r) {
        const __m256 x = _mm256_broadcast_ss(a + r * kLanes + j);
        acc0[r] = _mm256_fmadd_ps(x, b0, acc0[r]);
        acc1[r] = _mm256_fmadd_ps(x, b1, acc1[r]);
      }
    }
  }
#pragma GCC unroll 6
  for (int r = 0; r < R; ++r) {
    _mm256_storeu_ps(out0 + r * kLanes, acc0[r]);
    _mm256_storeu_ps(out1 + r * kLanes, acc1[r]);
  }
}

VEDKIT_AVX2 void product_rows(int rows, const float* a, int64_t a_step, const float* b,
                              int64_t in_blocks, float* out0, float* out1) {
  switch (rows) {
    case 1: return product<1>(a, a_step, b, in_blocks, out0, out1);
    case 2: return product<2>(a, a_step, b, in_blocks, out0, out1);
    case 3: return product<3>(a, a_step, b, in_blocks, out0, out1);
    case 4: return product<4>(a, a_step, b, in_blocks, out0, out1);
    case 5: return product<5>(a, a_step, b, in_blocks, out0, out1);
    default: return product<6>(a, a_step, b, in_blocks, out0, out1);
  }
}

// Products of one block: m[36][panels * 2][block tiles][8] (a last half panel past the
// out-channels is computed from zero weights and never read).
VEDKIT_AVX2 void multiply(const Weights& weights, const Geometry& g, int64_t count,
                          int64_t first_panel, int64_t end_panel, const float* v, float* m) {
  const int64_t in = weights.in_channels;
  const int64_t slots = g.panels * 2;
  for (int e = 0; e < kPoints; ++e) {
    const float* ve = v + e * g.in_blocks * count * kLanes;
    for (int64_t p = first_panel; p < end_panel; ++p) {
      const float* u = weights.packed.get() + (e * g.panels + p) * in * kPanel;
      float* m0 = m + ((e * slots + 2 * p) * count) * kLanes;
      float* m1 = m0 + count * kLanes;
      for (int64_t r = 0; r < count; r += kRows) {
        product_rows(static_cast<int>(std::min<int64_t>(kRows, count - r)), ve + r * kLanes,
                     count * kLanes, u, g.in_blocks, m0 + r * kLanes, m1 + r * kLanes);
      }
    }
  }
}

VEDKIT_AVX2 void untransform_tiles(const Conv& conv, const Geometry& g, int64_t first,
                                   int64_t count, int64_t first_block, int64_t end_block,
                                   const float* m) {
  const int64_t plane = g.height * g.width * kLanes;
  const int64_t slots = g.panels * 2;
  const __m256 zero = _mm256_setzero_ps();
  for (int64_t t = 0; t < count; ++t) {
    const int64_t tile = first + t;
    const int64_t n = tile / (g.tiles_down * g.tiles_across);
    const int64_t ty = tile / g.tiles_across % g.tiles_down, tx = tile % g.tiles_across;
    for (int64_t kb = first_block; kb < end_block; ++kb) {
      __m256 z[4][kAlpha];
      for (int j = 0; j < kAlpha; ++j) {
        __m256 column[kAlpha], o[4];
        for (int i = 0; i < kAlpha; ++i) {
          column[i] = _mm256_loadu_ps(m + (((i * kAlpha + j) * slots + kb) * count + t) * kLanes);
        }
        output_transform(column, o);
        for (int i = 0; i < 4; ++i) z[i][j] = o[i];
      }
      const __m256 bias = conv.bias ? _mm256_loadu_ps(conv.bias + kb * kLanes) : zero;
      float* dst = conv.dst + (n * g.out_blocks + kb) * plane;
      for (int i = 0; i < 4; ++i) {
        const int64_t y = ty * 4 + i;
        if (y >= g.height) break;
        __m256 o[4];
        output_transform(z[i], o);
        for (int j = 0; j < 4; ++j) {
          const int64_t x = tx * 4 + j;
          if (x >= g.width) break;
          float* at = dst + (y * g.width + x) * kLanes;
          __m256 value = _mm256_add_ps(o[j], bias);
          if (conv.accumulate) value = _mm256_add_ps(value, _mm256_loadu_ps(at));
          if (conv.relu) value = _mm256_max_ps(value, zero);
          _mm256_storeu_ps(at, value);
        }
      }
    }
  }
}

// One block of tiles through one group of output panels.
VEDKIT_AVX2 void run_part(const Conv& conv, const Weights& weights, const Geometry& g,
                          int64_t part) {
  const int64_t block = part / g.panel_groups, group = part % g.panel_groups;
  const int64_t first_panel = group * g.group_panels;
  const int64_t end_panel = std::min(g.panels, first_panel + g.group_panels);
  if (first_panel >= end_panel) return;
  const int64_t first = block * g.block_tiles;
  const int64_t count = std::min(g.block_tiles, g.tiles - first);
  float* v = Scratch::fit(scratch.tiles, scratch.tiles_size,
                          kPoints * weights.in_channels * g.block_tiles);
  float* m = Scratch::fit(scratch.products, scratch.products_size,
                          kPoints * g.panels * kPanel * g.block_tiles);
  transform_tiles(conv, g, first, count, v);
  multiply(weights, g, count, first_panel, end_panel, v, m);
  untransform_tiles(conv, g, first, count, first_panel * 2,
                    std::min(g.out_blocks, end_panel * 2), m);
}

}  // namespace

bool available() {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
}

bool enabled() { return switched_on && available(); }

void set_enabled(bool on) { switched_on = on; }

bool worthwhile(int64_t batch, int64_t height, int64_t width) {
  return tile_count(batch, height, width) >= kFewestTiles;
}

Weights transform_weights(const float* weight, const int64_t strides[4], int64_t out_channels,
                          int64_t in_channels) {
  static const double g[kAlpha][3] = {{1.0 / 4, 0, 0},
                                      {-1.0 / 6, -1.0 / 6, -1.0 / 6},
                                      {-1.0 / 6, 1.0 / 6, -1.0 / 6},
                                      {1.0 / 24, 1.0 / 12, 1.0 / 6},
                                      {1.0 / 24, -1.0 / 12, 1.0 / 6},
                                      {0, 0, 1}};
  Weights w;
  w.out_channels = out_channels;
  w.in_channels = in_channels;
  const int64_t panels = (out_channels + kPanel - 1) / kPanel;
  const size_t count = static_cast<size_t>(kPoints * panels * in_channels * kPanel);
  w.packed = std::shared_ptr<float>(
      static_cast<float*>(aligned_buffer(count * sizeof(float)).release()), AlignedFree());
  std::fill(w.packed.get(), w.packed.get() + count, 0.0f);
  for (int64_t k = 0; k < out_channels; ++k) {
    for (int64_t c = 0; c < in_channels; ++c) {
      double kernel[3][3], left[kAlpha][3];
      for (int a = 0; a < 3; ++a) {
        for (int b = 0; b < 3; ++b) {
          kernel[a][b] = weight[k * strides[0] + c * strides[1] + a * strides[2] + b * strides[3]];
        }
      }
      for (int i = 0; i < kAlpha; ++i) {
        for (int b = 0; b < 3; ++b) {
          left[i][b] = g[i][0] * kernel[0][b] + g[i][1] * kernel[1][b] + g[i][2] * kernel[2][b];
        }
      }
      for (int i = 0; i < kAlpha; ++i) {
        for (int j = 0; j < kAlpha; ++j) {
          const double u = left[i][0] * g[j][0] + left[i][1] * g[j][1] + left[i][2] * g[j][2];
          const int64_t e = i * kAlpha + j;
          w.packed.get()[((e * panels + k / kPanel) * in_channels + c) * kPanel + k % kPanel] =
              static_cast<float>(u);
        }
      }
    }
  }
  return w;
}

int64_t runs() { return run_count; }

void run(const Conv& conv, const Weights& weights) {
  ++run_count;
  const Geometry g(conv, weights);
  const int64_t parts = g.blocks() * g.panel_groups;
#pragma omp parallel for schedule(static)
  for (int64_t part = 0; part < parts; ++part) run_part(conv, weights, g, part);
}

}  // namespace vedkit::winograd
