// Matrix-vector products for generation on a CPU: 4-bit and 8-bit weights times
// activations rounded to 8 bits, summed with AVX-512 VNNI integer dot products.
//
// At batch 1 a token waits on its weights being read, so the kernels must keep up with
// memory: torch's own int4 kernel widens every weight to bf16 first and reads about half
// as fast as memory allows. Here the activations are rounded to int8 with one scale per
// group of 32 inputs (as llama.cpp's Q8 blocks), and the weights are stored interleaved so
// that each 32-bit lane of a vpdpbusd belongs to one (row, group) pair: the eight dot
// products that cover a group of 32 add up in integers, and the float work (scales,
// minimums) is done once per 16 (row, group) pairs instead of once per lane of products.
//
// Layouts (built by llmcli/model/native_kernels.py), for tiles of 8 output rows and blocks
// of 64 inputs (two groups of 32), a lane being l = 2 * row + group:
//   int4: per tile and block 320 bytes: 4 x 64 bytes of codes, byte 4l + j of the L-th
//         holding input 4s + j of lane l's group, s = 2L in the low nibble and s = 2L + 1
//         in the high one; then 16 float16 scales and 16 float16 minimums, one per lane:
//         weight = code * scale + minimum.
//   int8: per tile and block 512 bytes: 8 x 64 bytes, byte 4l + j of the s-th holding
//         input 4s + j of lane l's group as code + 128; and one float scale per row (a
//         separate tensor): weight = code * scale.
// Activations are reordered to match: for each block, step s takes 8 bytes, inputs
// 4s..4s+3 of the first group and of the second, broadcast to every row.
#include <torch/library.h>
#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <immintrin.h>
#include <cstring>
#include <vector>

#include "kernels.h"

#if !defined(__AVX512F__) || !defined(__AVX512BW__) || !defined(__AVX512VNNI__)
#error "these kernels need AVX-512 with VNNI (the Python side falls back to torch's kernels)"
#endif

namespace {

// Each block asks for the cache lines 2 KB ahead of it (a prefetch never faults, past the
// end either). On a 2-core Xeon with AMX the hardware's own prefetching left each core at
// about 7 GB/s: SmolLM2-135M's 120 int4 products a token took 4.6-5.2 ms (13-14 GB/s on two
// threads) and 3.5 ms (19 GB/s) with this, and generation went from 138-161 tokens/s to
// 154-183 (four runs each, alternating); 1 KB ahead gained nothing, 4 KB and more less.
constexpr int64_t kPrefetchAhead = 2048;

using llmcli::check_int4_weights, llmcli::check_int8_weights, llmcli::kBlock, llmcli::kInt4TileBlockBytes,
    llmcli::kInt8TileBlockBytes, llmcli::kTile;

// One row of activations rounded to int8 in groups of 32, in the layout above, with per block
// (scale of group 0, scale of group 1), (sum 0, sum 1) as floats and 128 x (sum of codes 0,
// sum of codes 1) as int32, each pair ready to be broadcast to the 8 rows of a tile.
struct QuantizedRow {
  std::vector<int8_t> codes;
  std::vector<float> scales, sums;
  std::vector<int32_t> code_sums;
};

template <typename T>
void quantize_row(const T* x, int64_t k, int64_t blocks, QuantizedRow& q) {
  q.codes.assign(blocks * kBlock, 0);  // the same size call after call: no new allocation
  q.scales.resize(blocks * 2);
  q.sums.resize(blocks * 2);
  q.code_sums.resize(blocks * 2);
  for (int64_t g = 0; g < blocks * 2; ++g) {
    const int64_t start = g * 32, stop = std::min(k, start + 32);
    float amax = 0.f, sum = 0.f;
    for (int64_t i = start; i < stop; ++i) {
      const float value = static_cast<float>(x[i]);
      amax = std::max(amax, std::abs(value));
      sum += value;
    }
    const float inverse = amax > 0.f ? 127.f / amax : 0.f;
    int32_t code_sum = 0;
    for (int64_t i = start; i < stop; ++i) {
      const int8_t code = static_cast<int8_t>(std::nearbyint(static_cast<float>(x[i]) * inverse));
      const int64_t within = i - start, block = g / 2, group = g % 2;
      q.codes[block * kBlock + (within / 4) * 8 + group * 4 + within % 4] = code;
      code_sum += code;
    }
    q.scales[g] = amax / 127.f;
    q.sums[g] = sum;
    q.code_sums[g] = 128 * code_sum;
  }
}

inline __m512 broadcast_pair(const float* pair) {
  return _mm512_castpd_ps(_mm512_set1_pd(*reinterpret_cast<const double*>(pair)));
}

// The products of one row of activations with a tile's 8 rows, as 16 (row, group) lanes.
__m512 int4_tile(const uint8_t* tile, const QuantizedRow& q, int64_t blocks) {
  const __m512i low_nibbles = _mm512_set1_epi8(0x0F);
  __m512 products = _mm512_setzero_ps(), minimums = _mm512_setzero_ps();
  for (int64_t b = 0; b < blocks; ++b) {
    const uint8_t* block = tile + b * kInt4TileBlockBytes;
    const int8_t* x = q.codes.data() + b * kBlock;
    for (int line = 0; line < kInt4TileBlockBytes; line += 64)
      _mm_prefetch(reinterpret_cast<const char*>(block + kPrefetchAhead + line), _MM_HINT_T0);
    __m512i even = _mm512_setzero_si512(), odd = _mm512_setzero_si512();
    for (int load = 0; load < 4; ++load) {
      const __m512i packed = _mm512_loadu_si512(block + load * 64);
      const __m512i x_even = _mm512_set1_epi64(*reinterpret_cast<const int64_t*>(x + (2 * load) * 8));
      const __m512i x_odd = _mm512_set1_epi64(*reinterpret_cast<const int64_t*>(x + (2 * load + 1) * 8));
      even = _mm512_dpbusd_epi32(even, _mm512_and_si512(packed, low_nibbles), x_even);
      odd = _mm512_dpbusd_epi32(odd, _mm512_and_si512(_mm512_srli_epi16(packed, 4), low_nibbles), x_odd);
    }
    const __m512 scale = _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(block + 256)));
    const __m512 minimum = _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(block + 288)));
    const __m512 dots = _mm512_cvtepi32_ps(_mm512_add_epi32(even, odd));
    products = _mm512_fmadd_ps(dots, _mm512_mul_ps(scale, broadcast_pair(q.scales.data() + 2 * b)), products);
    minimums = _mm512_fmadd_ps(minimum, broadcast_pair(q.sums.data() + 2 * b), minimums);
  }
  return _mm512_add_ps(products, minimums);
}

__m512 int8_tile(const uint8_t* tile, const QuantizedRow& q, int64_t blocks) {
  __m512 products = _mm512_setzero_ps();
  for (int64_t b = 0; b < blocks; ++b) {
    const uint8_t* block = tile + b * kInt8TileBlockBytes;
    const int8_t* x = q.codes.data() + b * kBlock;
    for (int line = 0; line < kInt8TileBlockBytes; line += 64)
      _mm_prefetch(reinterpret_cast<const char*>(block + kPrefetchAhead + line), _MM_HINT_T0);
    __m512i even = _mm512_setzero_si512(), odd = _mm512_setzero_si512();
    for (int step = 0; step < 8; step += 2) {
      even = _mm512_dpbusd_epi32(even, _mm512_loadu_si512(block + step * 64),
                                 _mm512_set1_epi64(*reinterpret_cast<const int64_t*>(x + step * 8)));
      odd = _mm512_dpbusd_epi32(odd, _mm512_loadu_si512(block + (step + 1) * 64),
                                _mm512_set1_epi64(*reinterpret_cast<const int64_t*>(x + (step + 1) * 8)));
    }
    // the codes were stored plus 128 (vpdpbusd takes them unsigned): take 128 x the sum back
    const __m512i offset = _mm512_set1_epi64(*reinterpret_cast<const int64_t*>(q.code_sums.data() + 2 * b));
    const __m512 dots = _mm512_cvtepi32_ps(_mm512_sub_epi32(_mm512_add_epi32(even, odd), offset));
    products = _mm512_fmadd_ps(dots, broadcast_pair(q.scales.data() + 2 * b), products);
  }
  return products;
}

// out (m, rows) = x (m, k) times the weight rows, a tile of 8 at a time; finish(row, dot)
// gives a row's value from its dot product. T: the activations' type, bf16 or float.
template <typename T, typename Tile, typename Finish>
void matvec_rows(const T* x, int64_t m, int64_t k, T* o, const uint8_t* weight, int64_t rows, int64_t tiles,
                 int64_t blocks, int64_t tile_block_bytes, Tile tile_products, Finish finish) {
  thread_local std::vector<QuantizedRow> quantized;  // kept between calls: a token makes hundreds
  if (static_cast<int64_t>(quantized.size()) < m) quantized.resize(m);
  for (int64_t i = 0; i < m; ++i) quantize_row(x + i * k, k, blocks, quantized[i]);
  const QuantizedRow* q = quantized.data();
  at::parallel_for(0, tiles, 8, [&](int64_t begin, int64_t end) {
    alignas(64) float lanes[16];
    for (int64_t t = begin; t < end; ++t)
      for (int64_t i = 0; i < m; ++i) {
        _mm512_store_ps(lanes, tile_products(weight + t * blocks * tile_block_bytes, q[i], blocks));
        for (int64_t r = 0; r < kTile && t * kTile + r < rows; ++r)
          o[i * rows + t * kTile + r] = static_cast<T>(finish(t * kTile + r, lanes[2 * r] + lanes[2 * r + 1]));
      }
  });
}

template <typename Tile, typename Finish>
at::Tensor matvec(const at::Tensor& x_in, const uint8_t* weight, int64_t rows, int64_t tiles, int64_t blocks,
                  int64_t tile_block_bytes, Tile tile_products, Finish finish) {
  TORCH_CHECK(x_in.dim() == 2 && x_in.size(1) <= blocks * kBlock, "activations must be (rows, inputs)");
  TORCH_CHECK(rows <= tiles * kTile, "more rows asked for than the weights hold");
  const bool bf16 = x_in.scalar_type() == at::kBFloat16;
  const at::Tensor x = bf16 || x_in.scalar_type() == at::kFloat ? x_in.contiguous() : x_in.to(at::kFloat).contiguous();
  at::Tensor out = at::empty({x.size(0), rows}, x.options());
  const int64_t m = x.size(0), k = x.size(1);
  if (bf16)
    matvec_rows(x.data_ptr<at::BFloat16>(), m, k, out.data_ptr<at::BFloat16>(), weight, rows, tiles, blocks,
                tile_block_bytes, tile_products, finish);
  else
    matvec_rows(x.data_ptr<float>(), m, k, out.data_ptr<float>(), weight, rows, tiles, blocks, tile_block_bytes,
                tile_products, finish);
  return out.scalar_type() == x_in.scalar_type() ? out : out.to(x_in.scalar_type());
}

at::Tensor int4_matvec(const at::Tensor& x, const at::Tensor& weight, int64_t rows) {
  check_int4_weights(weight);
  return matvec(x, weight.data_ptr<uint8_t>(), rows, weight.size(0), weight.size(1), kInt4TileBlockBytes, int4_tile,
                [](int64_t, float dot) { return dot; });
}

at::Tensor int8_matvec(const at::Tensor& x, const at::Tensor& weight, const at::Tensor& scale, int64_t rows) {
  check_int8_weights(weight, scale, rows);
  const float* s = scale.data_ptr<float>();
  return matvec(x, weight.data_ptr<uint8_t>(), rows, weight.size(0), weight.size(1), kInt8TileBlockBytes, int8_tile,
                [s](int64_t row, float dot) { return s[row] * dot; });
}

// 16 floats to bf16, rounded to nearest even (the weights are finite: no NaN to keep);
// by hand, so that CPUs without AVX-512 BF16 (Cascade Lake, Ice Lake) run it too
inline __m256i to_bf16(__m512 values) {
  const __m512i bits = _mm512_castps_si512(values);
  const __m512i odd = _mm512_and_si512(_mm512_srli_epi32(bits, 16), _mm512_set1_epi32(1));
  const __m512i rounded = _mm512_add_epi32(bits, _mm512_add_epi32(odd, _mm512_set1_epi32(0x7FFF)));
  return _mm512_cvtepi32_epi16(_mm512_srli_epi32(rounded, 16));
}

inline void store_group(at::BFloat16* out, __m512i low_codes, __m512i high_codes, float scale, float minimum) {
  // 16 codes each, as int32: low inputs 0..15 of the group, high 16..31
  const __m512 s = _mm512_set1_ps(scale), m = _mm512_set1_ps(minimum);
  _mm256_storeu_si256(reinterpret_cast<__m256i*>(out), to_bf16(_mm512_fmadd_ps(_mm512_cvtepi32_ps(low_codes), s, m)));
  _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + 16),
                      to_bf16(_mm512_fmadd_ps(_mm512_cvtepi32_ps(high_codes), s, m)));
}

// The weights themselves, as bf16 (rows, inputs): for many rows at once (a prompt, a batch
// being scored), a bf16 matrix multiply beats these per-row products several times over.
// A tile-block's 32-bit lane l of each of its code vectors holds 4 inputs of (row, group)
// = (l / 2, l % 2), so a group's 32 weights are lane l of every vector, in step order.
at::Tensor dequantized(int64_t rows, int64_t inputs, int64_t tiles, int64_t blocks) {
  TORCH_CHECK(rows <= tiles * kTile && inputs <= blocks * kBlock, "more weights asked for than are stored");
  return at::empty({tiles * kTile, blocks * kBlock}, at::TensorOptions().dtype(at::kBFloat16));
}

at::Tensor int4_dequantize(const at::Tensor& weight, int64_t rows, int64_t inputs) {
  check_int4_weights(weight);
  const int64_t tiles = weight.size(0), blocks = weight.size(1), width = blocks * kBlock;
  at::Tensor out = dequantized(rows, inputs, tiles, blocks);
  const uint8_t* w = weight.data_ptr<uint8_t>();
  at::BFloat16* o = out.data_ptr<at::BFloat16>();
  at::parallel_for(0, tiles, 16, [&](int64_t begin, int64_t end) {
    alignas(64) uint32_t lanes[4][16];
    for (int64_t t = begin; t < end; ++t)
      for (int64_t b = 0; b < blocks; ++b) {
        const uint8_t* block = w + (t * blocks + b) * kInt4TileBlockBytes;
        std::memcpy(lanes, block, 256);
        const at::Half* halves = reinterpret_cast<const at::Half*>(block + 256);
        for (int lane = 0; lane < 16; ++lane) {
          // steps 0..7 in order: load L's low nibbles are step 2L, its high ones 2L + 1
          const __m128i packed = _mm_set_epi32(lanes[3][lane], lanes[2][lane], lanes[1][lane], lanes[0][lane]);
          const __m128i low = _mm_and_si128(packed, _mm_set1_epi8(0x0F));
          const __m128i high = _mm_and_si128(_mm_srli_epi16(packed, 4), _mm_set1_epi8(0x0F));
          const __m128i first = _mm_unpacklo_epi32(low, high), second = _mm_unpackhi_epi32(low, high);
          store_group(o + (t * kTile + lane / 2) * width + b * kBlock + (lane % 2) * 32, _mm512_cvtepu8_epi32(first),
                      _mm512_cvtepu8_epi32(second), static_cast<float>(halves[lane]), static_cast<float>(halves[16 + lane]));
        }
      }
  });
  return out.narrow(0, 0, rows).narrow(1, 0, inputs);
}

at::Tensor int8_dequantize(const at::Tensor& weight, const at::Tensor& scale, int64_t rows, int64_t inputs) {
  check_int8_weights(weight, scale, rows);
  const int64_t tiles = weight.size(0), blocks = weight.size(1), width = blocks * kBlock;
  at::Tensor out = dequantized(rows, inputs, tiles, blocks);
  const uint8_t* w = weight.data_ptr<uint8_t>();
  const float* s = scale.data_ptr<float>();
  at::BFloat16* o = out.data_ptr<at::BFloat16>();
  at::parallel_for(0, tiles, 16, [&](int64_t begin, int64_t end) {
    alignas(64) uint32_t lanes[8][16];
    for (int64_t t = begin; t < end; ++t)
      for (int64_t b = 0; b < blocks; ++b) {
        std::memcpy(lanes, w + (t * blocks + b) * kInt8TileBlockBytes, 512);
        for (int lane = 0; lane < 16; ++lane) {
          const int64_t row = t * kTile + lane / 2;
          const float row_scale = row < rows ? s[row] : 0.f;
          const __m128i first = _mm_set_epi32(lanes[3][lane], lanes[2][lane], lanes[1][lane], lanes[0][lane]);
          const __m128i second = _mm_set_epi32(lanes[7][lane], lanes[6][lane], lanes[5][lane], lanes[4][lane]);
          // stored as code + 128
          const __m512i offset = _mm512_set1_epi32(128);
          store_group(o + row * width + b * kBlock + (lane % 2) * 32,
                      _mm512_sub_epi32(_mm512_cvtepu8_epi32(first), offset),
                      _mm512_sub_epi32(_mm512_cvtepu8_epi32(second), offset), row_scale, 0.f);
        }
      }
  });
  return out.narrow(0, 0, rows).narrow(1, 0, inputs);
}

}  // namespace

void llmcli::check_int4_weights(const at::Tensor& weight) {
  TORCH_CHECK(weight.dtype() == at::kByte && weight.dim() == 3 && weight.size(2) == kInt4TileBlockBytes &&
              weight.is_contiguous(), "int4 weights must be (tiles, blocks, 320) uint8");
}

void llmcli::check_int8_weights(const at::Tensor& weight, const at::Tensor& scale, int64_t rows) {
  TORCH_CHECK(weight.dtype() == at::kByte && weight.dim() == 3 && weight.size(2) == kInt8TileBlockBytes &&
              weight.is_contiguous(), "int8 weights must be (tiles, blocks, 512) uint8");
  TORCH_CHECK(scale.dtype() == at::kFloat && scale.numel() >= rows, "one float scale per row");
}

void llmcli::int4_product(const float* x, int64_t m, int64_t k, const uint8_t* weight, int64_t rows, int64_t tiles,
                          int64_t blocks, float* out) {
  matvec_rows(x, m, k, out, weight, rows, tiles, blocks, kInt4TileBlockBytes, int4_tile,
              [](int64_t, float dot) { return dot; });
}

void llmcli::int8_product(const float* x, int64_t m, int64_t k, const uint8_t* weight, const float* scale,
                          int64_t rows, int64_t tiles, int64_t blocks, float* out) {
  matvec_rows(x, m, k, out, weight, rows, tiles, blocks, kInt8TileBlockBytes, int8_tile,
              [scale](int64_t row, float dot) { return scale[row] * dot; });
}

TORCH_LIBRARY_FRAGMENT(llmcli_kernels, m) {
  m.def("int4(Tensor x, Tensor weight, int rows) -> Tensor");
  m.def("int8(Tensor x, Tensor weight, Tensor scale, int rows) -> Tensor");
  m.def("int4_dequantize(Tensor weight, int rows, int inputs) -> Tensor");
  m.def("int8_dequantize(Tensor weight, Tensor scale, int rows, int inputs) -> Tensor");
}

TORCH_LIBRARY_IMPL(llmcli_kernels, CPU, m) {
  m.impl("int4", &int4_matvec);
  m.impl("int8", &int8_matvec);
  m.impl("int4_dequantize", &int4_dequantize);
  m.impl("int8_dequantize", &int8_dequantize);
}
