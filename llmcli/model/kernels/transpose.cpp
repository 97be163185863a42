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

// a tile's row in a register (or two): 16 elements, as raw bits (GCC drops a vector
// attribute on a template's type, so one alias each)
typedef uint16_t Row2 __attribute__((vector_size(TILE * 2)));
typedef uint32_t Row4 __attribute__((vector_size(TILE * 4)));
template <typename T>
struct Tile;
template <>
struct Tile<bf16> { using Row = Row2; };
template <>
struct Tile<float> { using Row = Row4; };
template <typename T>
using Row = typename Tile<T>::Row;

// The first and second halves of two rows interleaved: a round of a perfect shuffle.
template <typename R>
inline R interleave_low(R a, R b) {
  return __builtin_shufflevector(a, b, 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
}
template <typename R>
inline R interleave_high(R a, R b) {
  return __builtin_shufflevector(a, b, 8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
}

// A 16 x 16 tile from `in` (rows `in_stride` apart) to `out` transposed: four rounds of
// interleaving row i with row i + 8 leave row j holding what was column j.
template <typename T>
inline void transpose_tile(const T* in, int64_t in_stride, T* out, int64_t out_stride) {
  Row<T> rows[TILE], next[TILE];
  for (int64_t i = 0; i < TILE; ++i) std::memcpy(&rows[i], in + i * in_stride, sizeof(Row<T>));
  for (int round = 0; round < 4; ++round) {
    for (int64_t i = 0; i < TILE / 2; ++i) {
      next[2 * i] = interleave_low(rows[i], rows[i + TILE / 2]);
      next[2 * i + 1] = interleave_high(rows[i], rows[i + TILE / 2]);
    }
    std::memcpy(rows, next, sizeof rows);
  }
  for (int64_t i = 0; i < TILE; ++i) std::memcpy(out + i * out_stride, &rows[i], sizeof(Row<T>));
}

// The (rows x cols) matrix at `in` (rows `in_stride` apart) into `out` transposed (rows
// `out_stride` apart), a band of input rows at a time: as many as make a cache line of the
// output (32 bf16, 16 float), so that each line is written whole, tile after tile.
template <typename T>
void transpose_block(const T* in, int64_t in_stride, int64_t rows, int64_t cols, T* out, int64_t out_stride) {
  constexpr int64_t band = 64 / int64_t(sizeof(T));
  const int64_t full_cols = cols / TILE * TILE;
  for (int64_t r = 0; r < rows; r += band) {
    const int64_t stop = std::min(r + band, rows), whole = r + (stop - r) / TILE * TILE;
    for (int64_t c = 0; c < full_cols; c += TILE)
      for (int64_t i = r; i < whole; i += TILE)
        transpose_tile(in + i * in_stride + c, in_stride, out + c * out_stride + i, out_stride);
    for (int64_t i = whole; i < stop; ++i)  // rows short of a tile
      for (int64_t c = 0; c < full_cols; ++c) out[c * out_stride + i] = in[i * in_stride + c];
    for (int64_t i = r; i < stop; ++i)  // the columns past the last whole tile
      for (int64_t c = full_cols; c < cols; ++c) out[c * out_stride + i] = in[i * in_stride + c];
  }
}

// a.T @ b for a (m x n) and b (m x k): each thread takes blocks of a's columns, writes a
// block out transposed into a buffer of at most 2 MB, which stays in cache, and multiplies it
// by b with oneDNN into the block's rows of the result (single-threaded inside the region).
// On the Xeon (4 MB of L2 a core) 1 MB blocks were slower for 4,096 rows (the `small`
// preset's batch), and 2 or 4 MB alike.
at::Tensor transposed_mm(const at::Tensor& a, const at::Tensor& b) {
  TORCH_CHECK(a.dim() == 2 && b.dim() == 2 && a.size(0) == b.size(0), "transposed_mm: shapes do not match");
  TORCH_CHECK(a.scalar_type() == b.scalar_type(), "transposed_mm: operands of one dtype");
  TORCH_CHECK(a.stride(1) == 1, "transposed_mm: a's rows contiguous");
  const int64_t m = a.size(0), n = a.size(1);
  at::Tensor out = at::empty({n, b.size(1)}, a.options());
  by_dtype(a, [&](auto zero) {
    using T = decltype(zero);
    // blocks of at most 2 MB, as many as make a multiple of the threads, each a
    // multiple of 32 columns wide (a tile's at least)
    const int64_t threads = at::get_num_threads();
    const int64_t widest = std::max<int64_t>(32, (int64_t(2) << 20) / std::max<int64_t>(1, m * int64_t(sizeof(T))));
    const int64_t wanted = ((n + widest - 1) / widest + threads - 1) / threads * threads;
    const int64_t width = std::max<int64_t>(TILE, (n + wanted - 1) / wanted + 31) / 32 * 32;
    const int64_t blocks = (n + width - 1) / width;
    const T* src = data<T>(a);
    at::parallel_for(0, blocks, 1, [&](int64_t begin, int64_t end) {
      at::AutoDispatchBelowADInplaceOrView below_autograd;  // a worker has autograd's defaults
      at::Tensor buffer = at::empty({width, m}, a.options());
      for (int64_t block = begin; block < end; ++block) {
        const int64_t c0 = block * width, count = std::min(width, n - c0);
        transpose_block(src + c0, a.stride(0), m, count, data<T>(buffer), m);
        at::Tensor rows = out.narrow(0, c0, count);
        at::mm_out(rows, buffer.narrow(0, 0, count), b);
      }
    });
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
