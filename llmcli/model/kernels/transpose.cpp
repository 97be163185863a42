// a.T @ b with a's transpose written out block by block, for the weight gradients of a
// training step (grad.T @ x).
//
// On a 2-core Xeon with AMX, oneDNN multiplies a transposed left operand at less than half
// its speed, and torch's transposing copy costs more than that would save: SmolLM2-135M's
// (3072 x 1016) @ (1016 x 576) took 2.7 ms with grad.T a view and 3.3 ms copied first, its
// output layer's (49152 x 1016) @ (1016 x 576) 50 ms and 122. Here 16 x 16 tiles go through
// registers into a buffer that stays in cache, and the two take 1.8 and 30 ms.
#include <torch/library.h>
#include <ATen/ATen.h>
#include <ATen/Parallel.h>

#include "training.h"

namespace llmcli_training {
namespace {

constexpr int64_t TILE = 16;
constexpr int64_t BUFFER_BYTES = int64_t(2) << 20;  // a block's transposed copy, at most: the L2 of a core of the Xeon it was tuned on

// A tile's row in a 256-bit register, as 16 bf16, 8 pairs or 4 quads of them.
typedef uint16_t Words __attribute__((vector_size(32)));
typedef uint32_t Pairs __attribute__((vector_size(32)));
typedef uint64_t Quads __attribute__((vector_size(32)));

// The columns of a 16 x 16 tile of bf16 at `in` (rows `in_stride` apart): rows interleaved
// two by two, then their pairs, quads and 128-bit halves, in the patterns of AVX2's unpacks
// and lane permutes, one instruction each (64 for the tile).
inline void tile_columns(const bf16* in, int64_t in_stride, Quads (&columns)[TILE]) {
  Words rows[TILE];
  for (int64_t i = 0; i < TILE; ++i) std::memcpy(&rows[i], in + i * in_stride, sizeof(Words));
  // a[2i], a[2i + 1]: rows 2i and 2i + 1 interleaved, columns 0-3 | 8-11 and 4-7 | 12-15
  Words a[TILE];
  for (int64_t i = 0; i < TILE / 2; ++i) {
    a[2 * i] = __builtin_shufflevector(rows[2 * i], rows[2 * i + 1], 0, 16, 1, 17, 2, 18, 3, 19, 8, 24, 9, 25, 10, 26, 11, 27);
    a[2 * i + 1] = __builtin_shufflevector(rows[2 * i], rows[2 * i + 1], 4, 20, 5, 21, 6, 22, 7, 23, 12, 28, 13, 29, 14, 30, 15, 31);
  }
  // b[4j + q]: rows 4j to 4j + 3, columns 2q, 2q + 1 | 2q + 8, 2q + 9
  Pairs b[TILE];
  for (int64_t j = 0; j < 4; ++j)
    for (int64_t h = 0; h < 2; ++h) {
      const Pairs x = Pairs(a[4 * j + h]), y = Pairs(a[4 * j + 2 + h]);
      b[4 * j + 2 * h] = __builtin_shufflevector(x, y, 0, 8, 1, 9, 4, 12, 5, 13);
      b[4 * j + 2 * h + 1] = __builtin_shufflevector(x, y, 2, 10, 3, 11, 6, 14, 7, 15);
    }
  // c[8g + p]: rows 8g to 8g + 7, column p | p + 8
  Quads c[TILE];
  for (int64_t g = 0; g < 2; ++g)
    for (int64_t q = 0; q < 4; ++q) {
      const Quads x = Quads(b[8 * g + q]), y = Quads(b[8 * g + 4 + q]);
      c[8 * g + 2 * q] = __builtin_shufflevector(x, y, 0, 4, 2, 6);
      c[8 * g + 2 * q + 1] = __builtin_shufflevector(x, y, 1, 5, 3, 7);
    }
  for (int64_t p = 0; p < TILE / 2; ++p) {  // columns p and p + 8, all 16 rows
    columns[p] = __builtin_shufflevector(c[p], c[8 + p], 0, 1, 4, 5);
    columns[p + 8] = __builtin_shufflevector(c[p], c[8 + p], 2, 3, 6, 7);
  }
}

// The (rows x cols) matrix at `in` (rows `in_stride` apart) into `out` transposed (rows
// `out_stride` apart), 32 input rows at a time: two tiles one above the other make a cache
// line of each output row, stored together. Stored a tile at a time, the halves of a line
// came apart when the output rows were 8 KB apart (4,096 tokens), all in one set of the cache.
void transpose_block(const bf16* in, int64_t in_stride, int64_t rows, int64_t cols, bf16* out, int64_t out_stride) {
  constexpr int64_t band = 2 * TILE;
  const int64_t full_cols = cols / TILE * TILE, full_rows = rows / band * band;
  for (int64_t r = 0; r < full_rows; r += band) {
    for (int64_t c = 0; c < full_cols; c += TILE) {
      Quads upper[TILE], lower[TILE];
      tile_columns(in + r * in_stride + c, in_stride, upper);
      tile_columns(in + (r + TILE) * in_stride + c, in_stride, lower);
      for (int64_t j = 0; j < TILE; ++j) {
        bf16* line = out + (c + j) * out_stride + r;
        std::memcpy(line, &upper[j], sizeof(Quads));
        std::memcpy(line + TILE, &lower[j], sizeof(Quads));
      }
    }
  }
  for (int64_t i = full_rows; i < rows; ++i)  // the rows past the last whole band
    for (int64_t c = 0; c < full_cols; ++c) out[c * out_stride + i] = in[i * in_stride + c];
  for (int64_t i = 0; i < rows; ++i)  // the columns past the last whole tile
    for (int64_t c = full_cols; c < cols; ++c) out[c * out_stride + i] = in[i * in_stride + c];
}

// a.T @ b for a (m x n) and b (m x k): each thread takes blocks of a's columns, writes a
// block out transposed into a buffer of at most 2 MB, which stays in cache, and multiplies it
// by b with oneDNN into the block's rows of the result (single-threaded inside the region).
// On the Xeon (4 MB of L2 a core) 1 MB blocks were slower for 4,096 rows (the `small`
// preset's batch), and 2 or 4 MB alike.
at::Tensor transposed_mm(const at::Tensor& a, const at::Tensor& b) {
  TORCH_CHECK(a.dim() == 2 && b.dim() == 2 && a.size(0) == b.size(0), "transposed_mm: shapes do not match");
  TORCH_CHECK(a.scalar_type() == at::kBFloat16 && b.scalar_type() == at::kBFloat16, "transposed_mm: bf16 operands");
  TORCH_CHECK(a.stride(1) == 1, "transposed_mm: a's rows contiguous");
  const int64_t m = a.size(0), n = a.size(1);
  at::Tensor out = at::empty({n, b.size(1)}, a.options());
  if (n == 0 || m == 0) return out.zero_();
  // blocks of at most 2 MB, as many as make a multiple of the threads, each a multiple of
  // 32 columns wide
  const int64_t threads = at::get_num_threads();
  const int64_t widest = std::max<int64_t>(32, BUFFER_BYTES / (m * int64_t(sizeof(bf16))));
  const int64_t wanted = ((n + widest - 1) / widest + threads - 1) / threads * threads;
  const int64_t width = ((n + wanted - 1) / wanted + 31) / 32 * 32, blocks = (n + width - 1) / width;
  const bf16* src = data<bf16>(a);
  at::parallel_for(0, blocks, 1, [&](int64_t begin, int64_t end) {
    at::AutoDispatchBelowADInplaceOrView below_autograd;  // a worker has autograd's defaults
    at::Tensor buffer = at::empty({width, m}, a.options());
    for (int64_t block = begin; block < end; ++block) {
      const int64_t c0 = block * width, count = std::min(width, n - c0);
      transpose_block(src + c0, a.stride(0), m, count, data<bf16>(buffer), m);
      at::Tensor rows = out.narrow(0, c0, count);
      at::mm_out(rows, buffer.narrow(0, 0, count), b);
    }
  });
  return out;
}

}  // namespace
}  // namespace llmcli_training

TORCH_LIBRARY_FRAGMENT(llmcli_training, m) {
  m.def("transposed_mm(Tensor a, Tensor b) -> Tensor");
}

TORCH_LIBRARY_IMPL(llmcli_training, CPU, m) {
  m.impl("transposed_mm", &llmcli_training::transposed_mm);
}
