// Fused elementwise kernels for a training step on a CPU, forward and backward: SwiGLU,
// RMSNorm, the rotary turn of queries and keys (with the split into attention's layout),
// the causal softmax of attention scores, and the softmax-minus-target gradient of the
// cross-entropy loss.
//
// A `small` training step spends about a third of its time in torch's elementwise kernels
// between the matrix multiplies: each operation of a composite (silu, then a product; a
// square, a mean, a product, a cast) is a pass over memory of its own, and autograd adds
// the passes of its backward, the cats of chunk/split and the zero-filled gradients of
// slices. Here each is one pass, computed in float32 and written once in the tensor's own
// dtype (float32 or bf16).
//
// Plain C++ that the compiler vectorizes (-O3 -march=native -fno-trapping-math: without the
// last, GCC vectorizes no loop with a float-to-int conversion): no intrinsics, so any x86 or
// ARM CPU with a C++ compiler gets them. bf16 is rounded to nearest even by hand.
#include <torch/library.h>
#include "training.h"
#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <algorithm>
#include <cstring>
#include <cmath>
#include <cstdint>
#include <vector>

namespace {

using namespace llmcli_training;

// e^x for x <= 0, as 2^n times a polynomial in the remaining fraction (a few units in the
// last place of float); written so that the compiler vectorizes a loop calling it.
inline float exp_nonpositive(float x) {
  const float t = std::max(x, -87.f) * 1.44269504f;  // in [-125.5, 0]
  const int32_t n = -int32_t(0.5f - t);  // t rounded (std::floor would not vectorize)
  const float f = (t - float(n)) * 0.69314718f;
  float p = 1.f / 720.f;
  p = p * f + 1.f / 120.f;
  p = p * f + 1.f / 24.f;
  p = p * f + 1.f / 6.f;
  p = p * f + 0.5f;
  p = p * f + 1.f;
  p = p * f + 1.f;
  return p * pun<float>((n + 127) << 23);
}

inline float sigmoid(float x) {
  const float e = exp_nonpositive(-std::fabs(x));
  return (x >= 0.f ? 1.f : e) / (1.f + e);
}

// ---- SwiGLU: silu(gate) * up, gate and up the two halves of each row --------------------

// (The loops over a row are functions of their own, on restrict pointers: the compiler
// then needs no check that the output overlaps the input. Written in the lambdas they
// vectorize too, but timed no faster.)
template <typename T>
void swiglu_row(const T* __restrict gate, const T* __restrict up, T* __restrict y, int64_t n) {
#pragma omp simd
  for (int64_t j = 0; j < n; ++j) {
    const float g = widen(gate[j]);
    y[j] = narrow<T>(g * sigmoid(g) * widen(up[j]));
  }
}

template <typename T>
void swiglu_backward_row(const T* __restrict gate, const T* __restrict up, const T* __restrict grad,
                         T* __restrict d_gate, T* __restrict d_up, int64_t n) {
#pragma omp simd
  for (int64_t j = 0; j < n; ++j) {
    const float g = widen(gate[j]), u = widen(up[j]), d = widen(grad[j]);
    const float s = sigmoid(g);
    d_up[j] = narrow<T>(d * g * s);
    d_gate[j] = narrow<T>(d * u * s * (1.f + g * (1.f - s)));
  }
}

at::Tensor swiglu(const at::Tensor& gate_up_in) {
  const at::Tensor gate_up = gate_up_in.contiguous();
  const int64_t width = gate_up.size(-1) / 2, rows = gate_up.numel() / std::max<int64_t>(1, gate_up.size(-1));
  std::vector<int64_t> shape = gate_up.sizes().vec();
  shape.back() = width;
  at::Tensor out = at::empty(shape, gate_up.options());
  by_dtype(gate_up, [&](auto tag) {
    using T = decltype(tag);
    const T* in = data<T>(gate_up);
    T* y = data<T>(out);
    const int64_t ahead = rows_ahead(2 * width * sizeof(T));
    at::parallel_for(0, rows, grain(width), [&](int64_t begin, int64_t end) {
      for (int64_t r = begin; r < end; ++r) {
        prefetch_row(in, r, ahead, end, 2 * width);
        swiglu_row(in + r * 2 * width, in + r * 2 * width + width, y + r * width, width);
      }
    });
  });
  return out;
}

// The gradient of both halves, written side by side as the input was.
at::Tensor swiglu_backward(const at::Tensor& grad_in, const at::Tensor& gate_up_in) {
  const at::Tensor gate_up = gate_up_in.contiguous();
  const at::Tensor grad = grad_in.to(gate_up.scalar_type()).contiguous();
  const int64_t width = gate_up.size(-1) / 2, rows = gate_up.numel() / std::max<int64_t>(1, gate_up.size(-1));
  at::Tensor out = at::empty_like(gate_up);
  by_dtype(gate_up, [&](auto tag) {
    using T = decltype(tag);
    const T* in = data<T>(gate_up);
    const T* dy = data<T>(grad);
    T* dx = data<T>(out);
    const int64_t ahead = rows_ahead(width * sizeof(T));
    at::parallel_for(0, rows, grain(width), [&](int64_t begin, int64_t end) {
      for (int64_t r = begin; r < end; ++r) {
        prefetch_row(in, r, ahead, end, 2 * width);
        prefetch_row(dy, r, ahead, end, width);
        swiglu_backward_row(in + r * 2 * width, in + r * 2 * width + width, dy + r * width, dx + r * 2 * width,
                            dx + r * 2 * width + width, width);
      }
    });
  });
  return out;
}

// ---- RMSNorm: x / rms(x) * weight, and with the residual add before it -----------------

// Writes row / rms(row) * w in Out; returns 1 / rms(row).
template <typename In, typename Out>
float normalize_row(const In* __restrict row, const float* __restrict w, Out* __restrict y, int64_t width, float eps) {
  float squares = 0.f;
#pragma omp simd reduction(+ : squares)
  for (int64_t j = 0; j < width; ++j) squares += widen(row[j]) * widen(row[j]);
  const float scale = 1.f / std::sqrt(squares / float(width) + eps);
#pragma omp simd
  for (int64_t j = 0; j < width; ++j) y[j] = narrow<Out>(widen(row[j]) * scale * w[j]);
  return scale;
}

// sum = x + h, rounded to X as the residual stream holds it (the norm then reads the rounded sum)
template <typename X, typename H>
void add_row(const X* __restrict x, const H* __restrict h, X* __restrict sum, int64_t width) {
#pragma omp simd
  for (int64_t j = 0; j < width; ++j) sum[j] = narrow<X>(widen(x[j]) + widen(h[j]));
}

// (normalized rows in out_dtype, 1 / rms per row in float32); weight float32. With `h`
// defined, the rows normalized are x + h, written out too (in x's dtype) as the first result.
std::tuple<at::Tensor, at::Tensor, at::Tensor> normalize(const at::Tensor& x_in, const at::Tensor* h_in,
                                                         const at::Tensor& weight_in, double eps, at::ScalarType out_dtype) {
  const at::Tensor x = x_in.contiguous();
  const at::Tensor h = h_in != nullptr ? h_in->contiguous() : at::Tensor();
  const at::Tensor weight = weight_in.to(at::kFloat).contiguous();
  const int64_t width = x.size(-1), rows = x.numel() / std::max<int64_t>(1, width);
  TORCH_CHECK(h_in == nullptr || h.sizes() == x.sizes(), "residual_rms_norm: x and h differ in shape");
  const at::Tensor sum = h_in != nullptr ? at::empty_like(x) : x;
  at::Tensor out = at::empty(x.sizes(), x.options().dtype(out_dtype));
  at::Tensor rstd = at::empty({rows}, x.options().dtype(at::kFloat));
  const float* w = weight.data_ptr<float>();
  float* inverse = rstd.data_ptr<float>();
  by_dtype(x, [&](auto in_tag) {
    by_dtype(out, [&](auto out_tag) {
      by_dtype(h_in != nullptr ? h : x, [&](auto h_tag) {
        using In = decltype(in_tag);
        using Out = decltype(out_tag);
        using H = decltype(h_tag);
        const In* src = data<In>(x);
        const H* branch = h_in != nullptr ? data<H>(h) : nullptr;
        In* added = data<In>(sum);
        Out* dst = data<Out>(out);
        const int64_t ahead = rows_ahead(width * sizeof(In));
        at::parallel_for(0, rows, grain(width), [&](int64_t begin, int64_t end) {
          for (int64_t r = begin; r < end; ++r) {
            prefetch_row(src, r, ahead, end, width);
            if (branch != nullptr) {
              prefetch_row(branch, r, ahead, end, width);
              add_row(src + r * width, branch + r * width, added + r * width, width);
            }
            inverse[r] = normalize_row(added + r * width, w, dst + r * width, width, float(eps));
          }
        });
      });
    });
  });
  return {sum, out, rstd};
}

std::tuple<at::Tensor, at::Tensor> rms_norm(const at::Tensor& x, const at::Tensor& weight, double eps,
                                            at::ScalarType out_dtype) {
  auto [sum, out, rstd] = normalize(x, nullptr, weight, eps, out_dtype);
  return {out, rstd};
}

// (x + h, its normalized rows in out_dtype, 1 / rms per row): the residual add and the next
// norm in one pass, for a block's residual stream
std::tuple<at::Tensor, at::Tensor, at::Tensor> residual_rms_norm(const at::Tensor& x, const at::Tensor& h,
                                                                 const at::Tensor& weight, double eps,
                                                                 at::ScalarType out_dtype) {
  return normalize(x, &h, weight, eps, out_dtype);
}

// The gradient of a row through the norm, in float32 at d: rstd * (g * w - normed * mean(g * w * normed)).
template <typename X, typename G>
void norm_backward_row(const X* __restrict row, const G* __restrict g, const float* __restrict w, float scale,
                       float* __restrict d, float* __restrict dw, int64_t width) {
  float dot = 0.f;
#pragma omp simd reduction(+ : dot)
  for (int64_t j = 0; j < width; ++j) dot += widen(g[j]) * w[j] * widen(row[j]) * scale;
  dot /= float(width);
#pragma omp simd
  for (int64_t j = 0; j < width; ++j) d[j] = scale * (widen(g[j]) * w[j] - widen(row[j]) * scale * dot);
  if (dw != nullptr) {
#pragma omp simd
    for (int64_t j = 0; j < width; ++j) dw[j] += widen(g[j]) * widen(row[j]) * scale;
  }
}

// d plus the residual stream's own gradient `carry`, written in two dtypes: the stream's
// (X) and the branch's (H), so that the branch's gradient needs no cast of its own
template <typename X, typename H>
void add_carry_row(const float* __restrict d, const X* __restrict carry, X* __restrict out, H* __restrict out_h,
                   int64_t width) {
#pragma omp simd
  for (int64_t j = 0; j < width; ++j) {
    const float v = d[j] + (carry != nullptr ? widen(carry[j]) : 0.f);
    out[j] = narrow<X>(v);
    out_h[j] = narrow<H>(v);
  }
}

template <typename X>
void narrow_row(const float* __restrict d, X* __restrict out, int64_t width) {
#pragma omp simd
  for (int64_t j = 0; j < width; ++j) out[j] = narrow<X>(d[j]);
}

// (dx in x's dtype, d weight in float32: the sum over rows, or an empty tensor if not
// wanted, and dx again in h_dtype where `residual`). residual: x is a residual stream's
// x + h, and dx is the norm's gradient plus `carry`, the stream's own (undefined for none);
// otherwise carry is not read.
std::tuple<at::Tensor, at::Tensor, at::Tensor> normalize_backward(const at::Tensor& grad_in, const at::Tensor& x_in,
                                                                  const at::Tensor& weight_in, const at::Tensor& rstd,
                                                                  bool want_weight, const at::Tensor& carry_in,
                                                                  bool residual, at::ScalarType h_dtype) {
  const at::Tensor x = x_in.contiguous();
  const at::Tensor grad = grad_in.contiguous();
  const at::Tensor weight = weight_in.to(at::kFloat).contiguous();
  const at::Tensor carry = carry_in.defined() ? carry_in.to(x.scalar_type()).contiguous() : at::Tensor();
  const int64_t width = x.size(-1), rows = x.numel() / std::max<int64_t>(1, width);
  at::Tensor dx = at::empty_like(x);
  at::Tensor dh = residual ? at::empty(x.sizes(), x.options().dtype(h_dtype)) : at::Tensor();
  // each part of the rows sums its own weight gradient; the parts are added at the end
  const int64_t parts = want_weight ? std::max<int64_t>(1, std::min<int64_t>(at::get_num_threads(), rows)) : 1;
  at::Tensor partial = at::zeros({parts, want_weight ? width : 0}, x.options().dtype(at::kFloat));
  const float* w = weight.data_ptr<float>();
  const float* inverse = rstd.data_ptr<float>();
  float* sums = partial.data_ptr<float>();
  by_dtype(x, [&](auto x_tag) {
    by_dtype(grad, [&](auto g_tag) {
      by_dtype(residual ? dh : x, [&](auto h_tag) {
        using X = decltype(x_tag);
        using G = decltype(g_tag);
        using H = decltype(h_tag);
        const X* src = data<X>(x);
        const G* dy = data<G>(grad);
        const X* carried = carry.defined() ? data<X>(carry) : nullptr;
        X* out = data<X>(dx);
        H* out_h = residual ? data<H>(dh) : nullptr;
        const int64_t ahead = rows_ahead(width * sizeof(X));
        auto run = [&](int64_t begin, int64_t end, float* dw) {
          std::vector<float> d(width);
          for (int64_t r = begin; r < end; ++r) {
            prefetch_row(src, r, ahead, end, width);
            prefetch_row(dy, r, ahead, end, width);
            if (carried != nullptr) prefetch_row(carried, r, ahead, end, width);
            norm_backward_row(src + r * width, dy + r * width, w, inverse[r], d.data(), dw, width);
            if (residual)
              add_carry_row(d.data(), carried != nullptr ? carried + r * width : nullptr, out + r * width,
                            out_h + r * width, width);
            else
              narrow_row(d.data(), out + r * width, width);
          }
        };
        at::parallel_for(0, parts, 1, [&](int64_t begin, int64_t end) {
          for (int64_t p = begin; p < end; ++p)
            run(rows * p / parts, rows * (p + 1) / parts, want_weight ? sums + p * width : nullptr);
        });
      });
    });
  });
  return {dx, want_weight ? partial.sum(0) : at::Tensor(), dh};
}

std::tuple<at::Tensor, at::Tensor> rms_norm_backward(const at::Tensor& grad, const at::Tensor& x,
                                                     const at::Tensor& weight, const at::Tensor& rstd,
                                                     bool want_weight) {
  auto [dx, dw, unused] = normalize_backward(grad, x, weight, rstd, want_weight, at::Tensor(), false, x.scalar_type());
  return {dx, dw};
}

// (the gradient of x: carry plus the norm's, the same in h_dtype for h, d weight) for
// residual_rms_norm's sum = x + h; carry, the gradient of the sum as a stream, may be None
std::tuple<at::Tensor, at::Tensor, at::Tensor> residual_rms_norm_backward(
    const at::Tensor& grad, const std::optional<at::Tensor>& carry, const at::Tensor& sum, const at::Tensor& weight,
    const at::Tensor& rstd, bool want_weight, at::ScalarType h_dtype) {
  auto [dx, dw, dh] = normalize_backward(grad, sum, weight, rstd, want_weight, carry.value_or(at::Tensor()), true,
                                         h_dtype);
  return {dx, dh, dw};
}

// ---- rotary positions, with the split of a qkv product into attention's layout ----------

// Where head h of a qkv row (q heads, then k, then v) goes in attention's layout: which of
// q, k, v (0, 1, 2), and its offset there, (B, heads of its kind, T, D), at batch row
// `batch` and `position`.
struct HeadPlace {
  int which;
  int64_t offset;
};

inline HeadPlace place_of(int64_t h, int64_t batch, int64_t position, int64_t q_heads, int64_t kv_heads, int64_t t,
                          int64_t d) {
  const int which = h < q_heads ? 0 : h < q_heads + kv_heads ? 1 : 2;
  const int64_t head = which == 0 ? h : which == 1 ? h - q_heads : h - q_heads - kv_heads;
  const int64_t count = which == 0 ? q_heads : kv_heads;
  return {which, ((batch * count + head) * t + position) * d};
}

// heads (B, T, q + 2 kv heads, D), as the qkv product wrote them; cos and signed sin (T, D)
// float32. Returns q (B, q heads, T, D) and k (B, kv heads, T, D) turned, and v (B, kv, T, D).
std::tuple<at::Tensor, at::Tensor, at::Tensor> rotary_split(const at::Tensor& heads_in, const at::Tensor& cos_in,
                                                            const at::Tensor& sin_in, int64_t q_heads,
                                                            int64_t kv_heads) {
  const at::Tensor heads = heads_in.contiguous();
  const at::Tensor cos = cos_in.to(at::kFloat).contiguous(), sin = sin_in.to(at::kFloat).contiguous();
  const int64_t b = heads.size(0), t = heads.size(1), all = heads.size(2), d = heads.size(3), half = d / 2;
  TORCH_CHECK(all == q_heads + 2 * kv_heads && d % 2 == 0 && cos.size(0) == t && cos.size(1) == d,
              "rotary_split: shapes do not match");
  const auto options = heads.options();
  at::Tensor q = at::empty({b, q_heads, t, d}, options), k = at::empty({b, kv_heads, t, d}, options),
             v = at::empty({b, kv_heads, t, d}, options);
  const float* c = cos.data_ptr<float>();
  const float* s = sin.data_ptr<float>();
  by_dtype(heads, [&](auto tag) {
    using T = decltype(tag);
    const T* src = data<T>(heads);
    T* outs[3] = {data<T>(q), data<T>(k), data<T>(v)};
    const int64_t ahead = rows_ahead(all * d * sizeof(T));
    at::parallel_for(0, b * t, grain(all * d), [&](int64_t begin, int64_t end) {
      for (int64_t bt = begin; bt < end; ++bt) {
        prefetch_row(src, bt, ahead, end, all * d);
        const int64_t batch = bt / t, position = bt % t;
        const float* cp = c + position * d;
        const float* sp = s + position * d;
        for (int64_t h = 0; h < all; ++h) {
          const T* x = src + (bt * all + h) * d;
          const HeadPlace place = place_of(h, batch, position, q_heads, kv_heads, t, d);
          T* y = outs[place.which] + place.offset;
          if (place.which == 2) {
            std::copy(x, x + d, y);
            continue;
          }
#pragma omp simd
          for (int64_t j = 0; j < half; ++j) {
            y[j] = narrow<T>(widen(x[j]) * cp[j] + widen(x[j + half]) * sp[j]);
            y[j + half] = narrow<T>(widen(x[j + half]) * cp[j + half] + widen(x[j]) * sp[j + half]);
          }
        }
      }
    });
  });
  return {q, k, v};
}

// The transpose: gradients of q, k, v in attention's layout back to one (B, T, heads, D).
at::Tensor rotary_split_backward(const at::Tensor& dq_in, const at::Tensor& dk_in, const at::Tensor& dv_in,
                                 const at::Tensor& cos_in, const at::Tensor& sin_in) {
  const at::ScalarType dtype = dq_in.scalar_type();
  const at::Tensor dq = dq_in.contiguous(), dk = dk_in.to(dtype).contiguous(), dv = dv_in.to(dtype).contiguous();
  const at::Tensor cos = cos_in.to(at::kFloat).contiguous(), sin = sin_in.to(at::kFloat).contiguous();
  const int64_t b = dq.size(0), q_heads = dq.size(1), t = dq.size(2), d = dq.size(3), kv_heads = dk.size(1);
  const int64_t all = q_heads + 2 * kv_heads, half = d / 2;
  at::Tensor out = at::empty({b, t, all, d}, dq.options());
  const float* c = cos.data_ptr<float>();
  const float* s = sin.data_ptr<float>();
  by_dtype(dq, [&](auto tag) {
    using T = decltype(tag);
    const T* ins[3] = {data<T>(dq), data<T>(dk), data<T>(dv)};
    T* dst = data<T>(out);
    at::parallel_for(0, b * t, grain(all * d), [&](int64_t begin, int64_t end) {
      for (int64_t bt = begin; bt < end; ++bt) {
        const int64_t batch = bt / t, position = bt % t;
        const float* cp = c + position * d;
        const float* sp = s + position * d;
        for (int64_t h = 0; h < all; ++h) {
          T* y = dst + (bt * all + h) * d;
          const HeadPlace place = place_of(h, batch, position, q_heads, kv_heads, t, d);
          const T* g = ins[place.which] + place.offset;
          if (place.which == 2) {
            std::copy(g, g + d, y);
            continue;
          }
          // the rotation backwards: g * cos + swap_halves(g * signed sin)
#pragma omp simd
          for (int64_t j = 0; j < half; ++j) {
            y[j] = narrow<T>(widen(g[j]) * cp[j] + widen(g[j + half]) * sp[j + half]);
            y[j + half] = narrow<T>(widen(g[j + half]) * cp[j + half] + widen(g[j]) * sp[j]);
          }
        }
      }
    });
  });
  return out;
}

// ---- causal softmax of attention scores ---------------------------------------------------

// In place: each row of scores (..., rows, keys) becomes softmax(scale * scores) over the
// keys up to its position, zeros after it. Row r's position is r % period: grouped-query
// attention stacks the query heads of a key-value head as period-long runs of rows.
void causal_softmax_(at::Tensor& scores, double scale, int64_t period) {
  TORCH_CHECK(scores.is_contiguous(), "causal_softmax_: scores must be contiguous");
  const int64_t keys = scores.size(-1), rows = scores.numel() / std::max<int64_t>(1, keys);
  const float sc = float(scale);
  by_dtype(scores, [&](auto tag) {
    using T = decltype(tag);
    T* all = data<T>(scores);
    const int64_t ahead = rows_ahead(keys * sizeof(T));
    at::parallel_for(0, rows, grain(keys), [&](int64_t begin, int64_t end) {
      std::vector<float> e(keys);
      for (int64_t r = begin; r < end; ++r) {
        prefetch_row(all, r, ahead, end, keys);
        T* row = all + r * keys;
        const int64_t seen = std::min(keys, r % period + 1);
        float peak = -INFINITY;
#pragma omp simd reduction(max : peak)
        for (int64_t j = 0; j < seen; ++j) peak = std::max(peak, widen(row[j]));
        float total = 0.f;
#pragma omp simd reduction(+ : total)
        for (int64_t j = 0; j < seen; ++j) {
          e[j] = exp_nonpositive((widen(row[j]) - peak) * sc);
          total += e[j];
        }
        const float inverse = 1.f / total;
#pragma omp simd
        for (int64_t j = 0; j < seen; ++j) row[j] = narrow<T>(e[j] * inverse);
        std::fill(row + seen, row + keys, T(0));
      }
    });
  });
}

// The gradient of the scores from that of the weights: scale * w * (g - sum(g * w)).
at::Tensor causal_softmax_backward(const at::Tensor& grad_in, const at::Tensor& weights, double scale, int64_t period) {
  const at::Tensor grad = grad_in.to(weights.scalar_type()).contiguous();
  TORCH_CHECK(weights.is_contiguous(), "causal_softmax_backward: weights must be contiguous");
  const int64_t keys = weights.size(-1), rows = weights.numel() / std::max<int64_t>(1, keys);
  at::Tensor out = at::empty_like(weights);
  const float sc = float(scale);
  by_dtype(weights, [&](auto tag) {
    using T = decltype(tag);
    const T* w_all = data<T>(weights);
    const T* g_all = data<T>(grad);
    T* d_all = data<T>(out);
    const int64_t ahead = rows_ahead(keys * sizeof(T));
    at::parallel_for(0, rows, grain(keys), [&](int64_t begin, int64_t end) {
      for (int64_t r = begin; r < end; ++r) {
        prefetch_row(w_all, r, ahead, end, keys);
        prefetch_row(g_all, r, ahead, end, keys);
        const T* w = w_all + r * keys;
        const T* g = g_all + r * keys;
        T* d = d_all + r * keys;
        const int64_t seen = std::min(keys, r % period + 1);
        float dot = 0.f;
#pragma omp simd reduction(+ : dot)
        for (int64_t j = 0; j < seen; ++j) dot += widen(g[j]) * widen(w[j]);
#pragma omp simd
        for (int64_t j = 0; j < seen; ++j) d[j] = narrow<T>(sc * widen(w[j]) * (widen(g[j]) - dot));
        std::fill(d + seen, d + keys, T(0));
      }
    });
  });
  return out;
}

// ---- cross-entropy: loss and gradient of a chunk of logits --------------------------------

// In place: logits (n, vocab) become d loss / d logits = weight * (softmax - one_hot(target));
// returns sum over rows of weight * (log-sum-exp - target logit), float32.
at::Tensor cross_entropy_(at::Tensor& logits, const at::Tensor& targets_in, const at::Tensor& weights_in) {
  TORCH_CHECK(logits.is_contiguous() && logits.dim() == 2, "cross_entropy_: logits must be contiguous (n, vocab)");
  const at::Tensor targets = targets_in.to(at::kLong).contiguous();
  const at::Tensor weights = weights_in.to(at::kFloat).contiguous();
  const int64_t rows = logits.size(0), vocab = logits.size(1);
  at::Tensor losses = at::empty({rows}, logits.options().dtype(at::kFloat));
  const int64_t* target = targets.data_ptr<int64_t>();
  const float* weight = weights.data_ptr<float>();
  float* loss = losses.data_ptr<float>();
  by_dtype(logits, [&](auto tag) {
    using T = decltype(tag);
    T* all = data<T>(logits);
    const int64_t ahead = rows_ahead(vocab * sizeof(T));
    at::parallel_for(0, rows, 1, [&](int64_t begin, int64_t end) {
      std::vector<float> e(vocab);
      for (int64_t r = begin; r < end; ++r) {
        prefetch_row(all, r, ahead, end, vocab);
        T* row = all + r * vocab;
        const int64_t t = target[r];
        TORCH_CHECK(t >= 0 && t < vocab, "cross_entropy_: a target outside the vocabulary");
        float peak = -INFINITY;
#pragma omp simd reduction(max : peak)
        for (int64_t j = 0; j < vocab; ++j) peak = std::max(peak, widen(row[j]));
        float total = 0.f;
#pragma omp simd reduction(+ : total)
        for (int64_t j = 0; j < vocab; ++j) {
          e[j] = exp_nonpositive(widen(row[j]) - peak);
          total += e[j];
        }
        const float w = weight[r];
        loss[r] = w * (peak + std::log(total) - widen(row[t]));
        const float factor = w / total;
#pragma omp simd
        for (int64_t j = 0; j < vocab; ++j) row[j] = narrow<T>(e[j] * factor);
        row[t] = narrow<T>((e[t] / total - 1.f) * w);
      }
    });
  });
  return losses.sum();
}

}  // namespace

TORCH_LIBRARY(llmcli_training, m) {
  m.def("swiglu(Tensor gate_up) -> Tensor");
  m.def("swiglu_backward(Tensor grad, Tensor gate_up) -> Tensor");
  m.def("rms_norm(Tensor x, Tensor weight, float eps, ScalarType out_dtype) -> (Tensor, Tensor)");
  m.def("rms_norm_backward(Tensor grad, Tensor x, Tensor weight, Tensor rstd, bool want_weight) -> (Tensor, Tensor)");
  m.def("residual_rms_norm(Tensor x, Tensor h, Tensor weight, float eps, ScalarType out_dtype) -> (Tensor, Tensor, Tensor)");
  m.def("residual_rms_norm_backward(Tensor grad, Tensor? carry, Tensor sum, Tensor weight, Tensor rstd, bool want_weight, "
        "ScalarType h_dtype) -> (Tensor, Tensor, Tensor)");
  m.def("rotary_split(Tensor heads, Tensor cos, Tensor sin, int q_heads, int kv_heads) -> (Tensor, Tensor, Tensor)");
  m.def("rotary_split_backward(Tensor dq, Tensor dk, Tensor dv, Tensor cos, Tensor sin) -> Tensor");
  m.def("causal_softmax_(Tensor(a!) scores, float scale, int period) -> ()");
  m.def("causal_softmax_backward(Tensor grad, Tensor weights, float scale, int period) -> Tensor");
  m.def("cross_entropy_(Tensor(a!) logits, Tensor targets, Tensor weights) -> Tensor");
}

TORCH_LIBRARY_IMPL(llmcli_training, CPU, m) {
  m.impl("swiglu", &swiglu);
  m.impl("swiglu_backward", &swiglu_backward);
  m.impl("rms_norm", &rms_norm);
  m.impl("rms_norm_backward", &rms_norm_backward);
  m.impl("residual_rms_norm", &residual_rms_norm);
  m.impl("residual_rms_norm_backward", &residual_rms_norm_backward);
  m.impl("rotary_split", &rotary_split);
  m.impl("rotary_split_backward", &rotary_split_backward);
  m.impl("causal_softmax_", &causal_softmax_);
  m.impl("causal_softmax_backward", &causal_softmax_backward);
  m.impl("cross_entropy_", &cross_entropy_);
}
