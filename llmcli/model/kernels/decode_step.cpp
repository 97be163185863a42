// A whole decoding step (one new token per row, every layer) in one call, for models of
// int4 or int8 weights with RMSNorm, rotary positions and SwiGLU (llmcli's own, Llama,
// Qwen2).
//
// Between its products, a token of SmolLM2-135M is about 1,300 small operations on
// vectors of 576 to 3,072 floats: each costs microseconds of dispatch in eager PyTorch,
// and compiled, the graph's own kernels and guards still cost milliseconds a token. Here
// they are plain loops over float32 buffers that stay in the L1 cache, and the products
// and the attention are the kernels of the other files called on raw pointers: a token
// costs about what reading its weights does.
//
// Arguments, for L layers:
//   x (B, C) float32: the new tokens' embeddings; `position`: where they go in the cache.
//   k_cache, v_cache: L tensors (B, kv heads, room, D) float32 with room > position;
//     the step writes the new keys and values at `position`, and attends over [0, position].
//   norms: 2L + 1 float32 vectors (C): each layer's attention and MLP norm, then the final one.
//   weights: 4L packed weights (per layer qkv, proj, gate_up, down), int4 (tile-block of
//     320 bytes) or int8 (512 bytes, with its row scales in `scales`; int4's entry there
//     is empty); biases: 4L float32 vectors, empty where a linear has none.
//   cos, sin: the rotary tables (positions, D) float32, sin signed (rotary.signed).
// Returns the final norm's output (B, C) float32.
#include <torch/library.h>
#include <ATen/ATen.h>
#include <cmath>
#include <vector>

#include "kernels.h"

namespace {

struct Linear {
  const uint8_t* weight;
  const float* scale;  // int8 only
  const float* bias;   // or nullptr
  int64_t rows, tiles, blocks;
};

Linear linear(const at::Tensor& weight, const at::Tensor& scale, const at::Tensor& bias, int64_t rows,
              int64_t inputs) {
  TORCH_CHECK(weight.dim() == 3, "each weight must be packed int4 or int8");
  const bool int8 = weight.size(2) == llmcli::kInt8TileBlockBytes;
  if (int8) llmcli::check_int8_weights(weight, scale, rows);
  else llmcli::check_int4_weights(weight);
  TORCH_CHECK(weight.size(0) * llmcli::kTile >= rows && weight.size(1) * llmcli::kBlock >= inputs,
              "a weight is smaller than its layer");
  TORCH_CHECK(bias.numel() == 0 || (bias.dtype() == at::kFloat && bias.numel() == rows && bias.is_contiguous()),
              "a bias must be float32, one value per row");
  return {weight.data_ptr<uint8_t>(), int8 ? scale.data_ptr<float>() : nullptr,
          bias.numel() ? bias.data_ptr<float>() : nullptr, rows, weight.size(0), weight.size(1)};
}

// out (m, rows) = x (m, inputs) W^T + b
void apply(const Linear& layer, const float* x, int64_t m, int64_t inputs, float* out) {
  if (layer.scale)
    llmcli::int8_product(x, m, inputs, layer.weight, layer.scale, layer.rows, layer.tiles, layer.blocks, out);
  else
    llmcli::int4_product(x, m, inputs, layer.weight, layer.rows, layer.tiles, layer.blocks, out);
  if (layer.bias)
    for (int64_t i = 0; i < m; ++i)
      for (int64_t r = 0; r < layer.rows; ++r) out[i * layer.rows + r] += layer.bias[r];
}

void rms_norm(const float* x, const float* weight, int64_t m, int64_t c, float eps, float* out) {
  for (int64_t i = 0; i < m; ++i) {
    const float* row = x + i * c;
    float squares = 0.f;
    for (int64_t j = 0; j < c; ++j) squares += row[j] * row[j];
    const float inverse = 1.f / std::sqrt(squares / static_cast<float>(c) + eps);
    for (int64_t j = 0; j < c; ++j) out[i * c + j] = row[j] * inverse * weight[j];
  }
}

// rotate-half: head[i] cos[i] + head[i +- D/2] signed_sin[i]
void rotate(float* head, const float* cos, const float* signed_sin, int64_t d) {
  float turned[128];
  const int64_t half = d / 2;
  for (int64_t i = 0; i < d; ++i) turned[i] = head[i] * cos[i] + head[(i + half) % d] * signed_sin[i];
  std::copy(turned, turned + d, head);
}

at::Tensor decode_step(const at::Tensor& x_in, int64_t position, at::TensorList k_cache, at::TensorList v_cache,
                       at::TensorList norms, at::TensorList weights, at::TensorList scales, at::TensorList biases,
                       const at::Tensor& cos, const at::Tensor& sin, int64_t heads, int64_t kv_heads, int64_t ffn,
                       double eps) {
  const int64_t layers = static_cast<int64_t>(k_cache.size());
  TORCH_CHECK(x_in.dim() == 2 && x_in.scalar_type() == at::kFloat, "x must be (rows, width) float32");
  TORCH_CHECK(v_cache.size() == k_cache.size() && norms.size() == 2 * k_cache.size() + 1 &&
              weights.size() == 4 * k_cache.size() && scales.size() == weights.size() &&
              biases.size() == weights.size(), "one cache, two norms and four linears per layer");
  TORCH_CHECK(heads > 0 && kv_heads > 0 && heads % kv_heads == 0, "heads must be a multiple of kv heads");
  const at::Tensor x_contiguous = x_in.contiguous();
  const int64_t b = x_contiguous.size(0), c = x_contiguous.size(1), d = c / heads, group = heads / kv_heads;
  TORCH_CHECK(d * heads == c && llmcli::attention_fits(d), "head size must be a multiple of 16, at most 128");
  TORCH_CHECK(cos.scalar_type() == at::kFloat && sin.scalar_type() == at::kFloat && cos.is_contiguous() &&
              sin.is_contiguous() && cos.size(0) > position && cos.size(1) == d && sin.sizes() == cos.sizes(),
              "rotary tables must be (positions, head size) float32");
  const int64_t qkv_rows = (heads + 2 * kv_heads) * d;
  std::vector<Linear> linears;
  for (int64_t l = 0; l < layers; ++l) {
    const int64_t rows[4] = {qkv_rows, c, 2 * ffn, c}, inputs[4] = {c, c, c, ffn};
    for (int j = 0; j < 4; ++j)
      linears.push_back(linear(weights[4 * l + j], scales[4 * l + j], biases[4 * l + j], rows[j], inputs[j]));
    for (const at::Tensor* cache : {&k_cache[l], &v_cache[l]})
      TORCH_CHECK(cache->scalar_type() == at::kFloat && cache->is_contiguous() && cache->dim() == 4 &&
                  cache->size(0) == b && cache->size(1) == kv_heads && cache->size(2) > position &&
                  cache->size(3) == d, "each layer's cache must be (rows, kv heads, room, head size) float32");
  }
  for (const at::Tensor& norm : norms)
    TORCH_CHECK(norm.scalar_type() == at::kFloat && norm.numel() == c && norm.is_contiguous(),
                "norm weights must be float32, one per channel");

  at::Tensor out = x_contiguous.clone();  // the residual stream, normalized at the end
  float* x = out.data_ptr<float>();
  std::vector<float> normed(b * c), qkv(b * qkv_rows), q(b * c), attended(b * c), h(b * c), gate_up(b * 2 * ffn),
      act(b * ffn);
  const float *cos_row = cos.data_ptr<float>() + position * d, *sin_row = sin.data_ptr<float>() + position * d;
  const float epsilon = static_cast<float>(eps);
  for (int64_t l = 0; l < layers; ++l) {
    const Linear* layer = linears.data() + 4 * l;
    rms_norm(x, norms[2 * l].data_ptr<float>(), b, c, epsilon, normed.data());
    apply(layer[0], normed.data(), b, c, qkv.data());
    float *keys = k_cache[l].data_ptr<float>(), *values = v_cache[l].data_ptr<float>();
    const int64_t batch_stride = k_cache[l].stride(0), head_stride = k_cache[l].stride(1);
    for (int64_t i = 0; i < b; ++i) {
      float* row = qkv.data() + i * qkv_rows;  // q heads, then k heads, then v heads
      for (int64_t head = 0; head < heads + kv_heads; ++head) rotate(row + head * d, cos_row, sin_row, d);
      std::copy(row, row + c, q.data() + i * c);  // (kv heads, group, D): a kv head's queries in a row
      for (int64_t head = 0; head < kv_heads; ++head) {
        const int64_t at = i * batch_stride + head * head_stride + position * d;
        std::copy(row + (heads + head) * d, row + (heads + head + 1) * d, keys + at);
        std::copy(row + (heads + kv_heads + head) * d, row + (heads + kv_heads + head + 1) * d, values + at);
      }
    }
    llmcli::attend(q.data(), keys, values, b, kv_heads, group, d, position + 1, batch_stride, head_stride,
                   attended.data());
    apply(layer[1], attended.data(), b, c, h.data());
    for (int64_t j = 0; j < b * c; ++j) x[j] += h[j];
    rms_norm(x, norms[2 * l + 1].data_ptr<float>(), b, c, epsilon, normed.data());
    apply(layer[2], normed.data(), b, c, gate_up.data());
    for (int64_t i = 0; i < b; ++i)
      for (int64_t j = 0; j < ffn; ++j) {  // silu(gate) * up: gate rows first, then up rows
        const float gate = gate_up[i * 2 * ffn + j], up = gate_up[i * 2 * ffn + ffn + j];
        act[i * ffn + j] = gate / (1.f + std::exp(-gate)) * up;
      }
    apply(layer[3], act.data(), b, ffn, h.data());
    for (int64_t j = 0; j < b * c; ++j) x[j] += h[j];
  }
  rms_norm(x, norms[2 * layers].data_ptr<float>(), b, c, epsilon, normed.data());
  std::copy(normed.begin(), normed.end(), x);
  return out;
}

}  // namespace

TORCH_LIBRARY_FRAGMENT(llmcli_kernels, m) {
  m.def("decode_step(Tensor x, int position, Tensor(a!)[] k_cache, Tensor(b!)[] v_cache, Tensor[] norms, "
        "Tensor[] weights, Tensor[] scales, Tensor[] biases, Tensor cos, Tensor sin, int heads, int kv_heads, "
        "int ffn, float eps) -> Tensor");
}

TORCH_LIBRARY_IMPL(llmcli_kernels, CPU, m) {
  m.impl("decode_step", &decode_step);
}
