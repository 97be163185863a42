// What the kernels' source files share: the packed layouts' sizes and checks, and raw-pointer
// forms of the products and of decoding attention, for decode_step.cpp, which runs a whole
// token without a tensor in between.
#pragma once
#include <ATen/ATen.h>
#include <cstdint>

namespace llmcli {

constexpr int64_t kBlock = 64, kTile = 8;  // inputs of a block, rows of a tile
constexpr int64_t kInt4TileBlockBytes = 320, kInt8TileBlockBytes = 512;

// packed weights of the layouts in quantized_matvec.cpp, as the products take them
void check_int4_weights(const at::Tensor& weight);
void check_int8_weights(const at::Tensor& weight, const at::Tensor& scale, int64_t rows);

// out (m, rows) = x (m, k) times a weight in the int4 or int8 layout (quantized_matvec.cpp):
// tiles of 8 rows, blocks of 64 inputs; int8's row scales in `scale`.
void int4_product(const float* x, int64_t m, int64_t k, const uint8_t* weight, int64_t rows, int64_t tiles,
                  int64_t blocks, float* out);
void int8_product(const float* x, int64_t m, int64_t k, const uint8_t* weight, const float* scale, int64_t rows,
                  int64_t tiles, int64_t blocks, float* out);

// head sizes attend takes: multiples of 16 up to 128
bool attention_fits(int64_t d);

// softmax(q k^T / sqrt(d)) v of one query per head over positions [0, n) of a float32 cache.
// q and out (b, heads, group, d) contiguous; keys and values (b, heads, room, d), the
// positions of a head contiguous rows of d, `batch_stride` and `head_stride` floats apart.
void attend(const float* q, const float* k, const float* v, int64_t b, int64_t heads, int64_t group, int64_t d,
            int64_t n, int64_t batch_stride, int64_t head_stride, float* out);

}  // namespace llmcli
