// What the training kernels' source files share: bf16 as raw bits, its widening to float
// and rounding back, and the dispatch on a tensor's dtype (float32 or bf16).
#pragma once
#include <ATen/ATen.h>
#include <algorithm>
#include <cstdint>
#include <cstring>

namespace llmcli_training {

using bf16 = uint16_t;  // the raw bits of a bfloat16

// a value's bits as another type (std::bit_cast would not vectorize with GCC 12)
template <typename To, typename From>
inline To pun(From v) {
  To to;
  std::memcpy(&to, &v, sizeof to);
  return to;
}

inline float widen(float v) { return v; }
inline float widen(bf16 v) { return pun<float>(uint32_t(v) << 16); }

template <typename T>
inline T narrow(float f);
template <>
inline float narrow<float>(float f) { return f; }
template <>
inline bf16 narrow<bf16>(float f) {
  const uint32_t u = pun<uint32_t>(f);
  return bf16((u + 0x7fffu + ((u >> 16) & 1u)) >> 16);
}

// Calls f with a value of the C++ type holding t's elements: float or bf16.
template <typename F>
void by_dtype(const at::Tensor& t, F&& f) {
  if (t.scalar_type() == at::kFloat) {
    f(float{});
  } else {
    TORCH_CHECK(t.scalar_type() == at::kBFloat16, "llmcli's training kernels take float32 or bfloat16");
    f(bf16{});
  }
}

template <typename T>
T* data(const at::Tensor& t) { return static_cast<T*>(t.data_ptr()); }

// rows a thread takes at least, for rows of `width` elements: about 16k elements
inline int64_t grain(int64_t width) { return std::max<int64_t>(1, 16384 / std::max<int64_t>(1, width)); }

// Asks for the cache lines of [p, p + bytes) before they are needed. Streaming kernels left to
// the hardware prefetcher wait on memory between rows.
inline void prefetch(const void* p, int64_t bytes) {
  const char* c = static_cast<const char*>(p);
  for (int64_t offset = 0; offset < bytes; offset += 64) __builtin_prefetch(c + offset);
}

// How many rows on the row kernels prefetch: two, or as many as make 4 KB for short rows
// (attention scores). Farther was slower for SwiGLU's 4 KB rows.
inline int64_t rows_ahead(int64_t row_bytes) { return std::max<int64_t>(2, 4096 / std::max<int64_t>(1, row_bytes)); }

// Prefetches row r + ahead of rows `width` elements long from `base`, where it is before `end`.
template <typename T>
inline void prefetch_row(const T* base, int64_t r, int64_t ahead, int64_t end, int64_t width) {
  if (r + ahead < end) prefetch(base + (r + ahead) * width, width * int64_t(sizeof(T)));
}

}  // namespace llmcli_training
