// The optimizer's side of a bf16 training step on a CPU: the sum of squares of a gradient
// (for the clipping norm) and AdamW's update of one float32 weight, which also writes the
// bf16 copy of it that the next step's matrix multiplies read.
//
// Under autocast a step casts every float32 weight to bf16 in forward and its bf16 gradient
// back to float32 in backward; clipping then reads the float32 gradients once for the norm
// and again to scale them, and AdamW a third time. Here the matrix multiplies' weights are
// kept in bf16 between steps (master_weights.py), their gradients stay bf16, and one pass
// per weight does the clip's scale, AdamW and the bf16 copy.
#include <torch/library.h>
#include "training.h"
#include <ATen/Parallel.h>
#include <cmath>
#include <vector>

namespace {

using namespace llmcli_training;

constexpr int64_t kGrain = 1 << 16;  // elements a thread takes at least

template <typename G>
float sum_squares_of(const G* __restrict g, int64_t n) {
  float total = 0.f;
#pragma omp simd reduction(+ : total)
  for (int64_t i = 0; i < n; ++i) {
    const float v = widen(g[i]);
    total += v * v;
  }
  return total;
}

// The sum of the squares of a gradient's elements, float32 within a chunk, double across.
double sum_squares(const at::Tensor& grad_in) {
  const at::Tensor grad = grad_in.contiguous();
  const int64_t n = grad.numel();
  double total = 0.0;
  by_dtype(grad, [&](auto tag) {
    using G = decltype(tag);
    const G* g = data<G>(grad);
    const int64_t chunks = (n + kGrain - 1) / kGrain;
    std::vector<double> partial(chunks, 0.0);
    at::parallel_for(0, chunks, 1, [&](int64_t begin, int64_t end) {
      for (int64_t c = begin; c < end; ++c) {
        const int64_t start = c * kGrain;
        partial[c] = sum_squares_of(g + start, std::min(kGrain, n - start));
      }
    });
    for (double part : partial) total += part;
  });
  return total;
}

struct AdamW {
  float lr, beta1, beta2, eps, decay;  // decay: 1 - lr * weight_decay
  float step_size, correction2_sqrt;  // lr / (1 - beta1^t), sqrt(1 - beta2^t)
  float grad_scale;  // the clip's factor (1 where the norm is under the limit)
};

// torch's AdamW, as torch.optim.AdamW(fused=True) computes it, element by element; `copy`
// receives the updated weight in bf16 where WithCopy.
template <bool WithCopy, typename G>
void adamw_range(float* __restrict weight, float* __restrict m, float* __restrict v, const G* __restrict grad,
                 bf16* __restrict copy, int64_t n, const AdamW& a) {
#pragma omp simd
  for (int64_t i = 0; i < n; ++i) {
    const float g = widen(grad[i]) * a.grad_scale;
    const float mi = m[i] + (1.f - a.beta1) * (g - m[i]);
    const float vi = a.beta2 * v[i] + (1.f - a.beta2) * g * g;
    const float w = weight[i] * a.decay - a.step_size * mi / (std::sqrt(vi) / a.correction2_sqrt + a.eps);
    m[i] = mi;
    v[i] = vi;
    weight[i] = w;
    if constexpr (WithCopy) copy[i] = narrow<bf16>(w);
  }
}

void adamw_step_(at::Tensor& weight, at::Tensor& exp_avg, at::Tensor& exp_avg_sq, const at::Tensor& grad_in,
                 const c10::optional<at::Tensor>& copy, double lr, double beta1, double beta2, double eps,
                 double weight_decay, double step, double grad_scale) {
  for (const at::Tensor* t : {&weight, &exp_avg, &exp_avg_sq}) {
    TORCH_CHECK(t->scalar_type() == at::kFloat && t->is_contiguous(), "adamw_step_ updates contiguous float32 tensors");
  }
  const at::Tensor grad = grad_in.contiguous();
  const int64_t n = weight.numel();
  TORCH_CHECK(exp_avg.numel() == n && exp_avg_sq.numel() == n && grad.numel() == n, "adamw_step_: sizes differ");
  bf16* out = nullptr;
  if (copy.has_value()) {
    TORCH_CHECK(copy->scalar_type() == at::kBFloat16 && copy->is_contiguous() && copy->numel() == n,
                "adamw_step_ writes a contiguous bf16 copy of the weight's size");
    out = data<bf16>(*copy);
  }
  const AdamW a{float(lr), float(beta1), float(beta2), float(eps), float(1.0 - lr * weight_decay),
                float(lr / (1.0 - std::pow(beta1, step))), float(std::sqrt(1.0 - std::pow(beta2, step))),
                float(grad_scale)};
  float* w = data<float>(weight);
  float* m = data<float>(exp_avg);
  float* v = data<float>(exp_avg_sq);
  by_dtype(grad, [&](auto tag) {
    using G = decltype(tag);
    const G* g = data<G>(grad);
    at::parallel_for(0, n, kGrain, [&](int64_t begin, int64_t end) {
      if (out) {
        adamw_range<true>(w + begin, m + begin, v + begin, g + begin, out + begin, end - begin, a);
      } else {
        adamw_range<false>(w + begin, m + begin, v + begin, g + begin, nullptr, end - begin, a);
      }
    });
  });
}

}  // namespace

TORCH_LIBRARY_FRAGMENT(llmcli_training, m) {
  m.def("sum_squares(Tensor grad) -> float");
  m.def("adamw_step_(Tensor(a!) weight, Tensor(b!) exp_avg, Tensor(c!) exp_avg_sq, Tensor grad, Tensor(d!)? copy, "
        "float lr, float beta1, float beta2, float eps, float weight_decay, float step, float grad_scale) -> ()");
}

TORCH_LIBRARY_IMPL(llmcli_training, CPU, m) {
  m.impl("sum_squares", &sum_squares);
  m.impl("adamw_step_", &adamw_step_);
}
