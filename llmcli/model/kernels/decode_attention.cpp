// Attention of one new token per row over a KV cache (decoding), for grouped-query
// attention: each key-value head's keys and values are read once for all the query heads
// it serves. The positions are split among the threads (each keeps its own softmax maximum
// and sum), and the parts are merged at the end, so that two cores share even 3 heads.
//
// torch's CPU flash attention, given 3 queries per head, parallelizes over heads alone and
// goes through blocked GEMMs meant for long query blocks: in a compiled decoding step of
// SmolLM2-135M it read the cache at about 7 GB/s, and at 800 positions took as long as
// reading the weights.
#include <torch/library.h>
#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <immintrin.h>
#include <cmath>
#include <vector>

#include "kernels.h"

#if !defined(__AVX512F__)
#error "this kernel needs AVX-512"
#endif

namespace {

// e^x for x <= 0 (scores minus their maximum): 2^(x log2 e) as 2^n times a polynomial
// in the remaining fraction, within a few units in the last place of float.
inline __m512 exp_nonpositive(__m512 x) {
  const __m512 t = _mm512_mul_ps(_mm512_max_ps(x, _mm512_set1_ps(-87.f)), _mm512_set1_ps(1.44269504f));
  const __m512 n = _mm512_roundscale_ps(t, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  const __m512 f = _mm512_mul_ps(_mm512_sub_ps(t, n), _mm512_set1_ps(0.69314718f));  // in [-ln2/2, ln2/2]
  __m512 p = _mm512_set1_ps(1.f / 720.f);
  p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(1.f / 120.f));
  p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(1.f / 24.f));
  p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(1.f / 6.f));
  p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(0.5f));
  p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(1.f));
  p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(1.f));
  return _mm512_scalef_ps(p, n);
}

// The scores of one query against positions [0, count) of the keys, rows `stride` floats
// apart, times `scale`; the query's D / 16 vectors stay in registers.
template <int Vectors>
void score_row(const float* query, const float* k, int64_t stride, int64_t count, float scale, float* scores) {
  __m512 q[Vectors];
  for (int c = 0; c < Vectors; ++c) q[c] = _mm512_loadu_ps(query + 16 * c);
  for (int64_t j = 0; j < count; ++j) {
    __m512 dot = _mm512_mul_ps(q[0], _mm512_loadu_ps(k + j * stride));
    for (int c = 1; c < Vectors; ++c) dot = _mm512_fmadd_ps(q[c], _mm512_loadu_ps(k + j * stride + 16 * c), dot);
    scores[j] = _mm512_reduce_add_ps(dot) * scale;
  }
}

// weighted (D) = sum over positions j of p[j] times value row j, the sums in registers.
template <int Vectors>
void weigh_row(const float* p, const float* v, int64_t stride, int64_t count, float* weighted) {
  __m512 acc[Vectors];
  for (int c = 0; c < Vectors; ++c) acc[c] = _mm512_setzero_ps();
  for (int64_t j = 0; j < count; ++j) {
    const __m512 weight = _mm512_set1_ps(p[j]);
    for (int c = 0; c < Vectors; ++c) acc[c] = _mm512_fmadd_ps(weight, _mm512_loadu_ps(v + j * stride + 16 * c), acc[c]);
  }
  for (int c = 0; c < Vectors; ++c) _mm512_storeu_ps(weighted + 16 * c, acc[c]);
}

// One part: queries (group, d) of one key-value head against positions [begin, end) of its
// keys and values (rows `stride` floats apart). Writes the part's maximum score, sum of
// e^(score - maximum) and the values weighted by them, per query. Each query goes over
// the part's keys and values on its own: after the first, they come from the L2 cache.
template <int Vectors>
void attend_part(const float* q, int64_t group, const float* k, const float* v, int64_t stride, int64_t begin,
                 int64_t end, float scale, float* maxima, float* sums, float* weighted, std::vector<float>& scores) {
  constexpr int64_t d = 16 * Vectors;
  const int64_t count = end - begin, padded = (count + 15) / 16 * 16;
  scores.assign(padded, -INFINITY);
  for (int64_t g = 0; g < group; ++g) {
    float* s = scores.data();
    score_row<Vectors>(q + g * d, k + begin * stride, stride, count, scale, s);
    __m512 top = _mm512_set1_ps(-INFINITY);
    for (int64_t j = 0; j < padded; j += 16) top = _mm512_max_ps(top, _mm512_loadu_ps(s + j));
    const float maximum = _mm512_reduce_max_ps(top);
    __m512 total = _mm512_setzero_ps();
    for (int64_t j = 0; j < padded; j += 16) {
      const __m512 e = exp_nonpositive(_mm512_sub_ps(_mm512_loadu_ps(s + j), _mm512_set1_ps(maximum)));
      _mm512_storeu_ps(s + j, e);  // the padding's -inf gives 0
      total = _mm512_add_ps(total, e);
    }
    maxima[g] = maximum;
    sums[g] = _mm512_reduce_add_ps(total);
    weigh_row<Vectors>(s, v + begin * stride, stride, count, weighted + g * d);
    std::fill(s + count, s + padded, -INFINITY);
  }
}

// q (B, kv heads, group, D); k and v (B, kv heads, positions, D), positions contiguous rows
// (a view of the cache's room). Returns softmax(q k^T / sqrt(D)) v as (B, kv heads, group, D).
at::Tensor decode_attention(const at::Tensor& q_in, const at::Tensor& k, const at::Tensor& v) {
  TORCH_CHECK(q_in.dim() == 4 && k.dim() == 4 && v.dim() == 4, "q, k and v must be 4-D");
  TORCH_CHECK(k.scalar_type() == at::kFloat && v.scalar_type() == at::kFloat, "the cache must be float32");
  TORCH_CHECK(k.sizes() == v.sizes() && k.strides() == v.strides(), "keys and values must match");
  TORCH_CHECK(k.stride(3) == 1 && k.stride(2) == k.size(3), "each position's keys must be one contiguous row");
  const int64_t b = q_in.size(0), heads = q_in.size(1), group = q_in.size(2), d = q_in.size(3), n = k.size(2);
  TORCH_CHECK(k.size(0) == b && k.size(1) == heads && k.size(3) == d && n > 0, "shapes must agree");
  TORCH_CHECK(llmcli::attention_fits(d), "head size must be a multiple of 16, at most 128");
  const at::Tensor q = q_in.to(at::kFloat).contiguous();
  at::Tensor out = at::empty({b, heads, group, d}, q.options());
  llmcli::attend(q.data_ptr<float>(), k.data_ptr<float>(), v.data_ptr<float>(), b, heads, group, d, n, k.stride(0),
                 k.stride(1), out.data_ptr<float>());
  return out;
}

using Part = void (*)(const float*, int64_t, const float*, const float*, int64_t, int64_t, int64_t, float,
                     float*, float*, float*, std::vector<float>&);

// attend_part for a head of d = 16 x Vectors floats
Part part_of(int64_t d) {
  static constexpr Part parts[] = {attend_part<1>, attend_part<2>, attend_part<3>, attend_part<4>,
                                   attend_part<5>, attend_part<6>, attend_part<7>, attend_part<8>};
  return parts[d / 16 - 1];
}

}  // namespace

bool llmcli::attention_fits(int64_t d) { return d % 16 == 0 && d >= 16 && d <= 128; }

void llmcli::attend(const float* q, const float* k, const float* v, int64_t b, int64_t heads, int64_t group,
                    int64_t d, int64_t n, int64_t batch_stride, int64_t head_stride, float* o) {
  const float scale = 1.f / std::sqrt(static_cast<float>(d));
  // enough parts for the threads, none shorter than 64 positions
  const int64_t threads = at::get_num_threads();
  const int64_t splits = std::max<int64_t>(1, std::min<int64_t>((2 * threads + b * heads - 1) / (b * heads), n / 64));
  const int64_t tasks = b * heads * splits, span = (n + splits - 1) / splits;
  std::vector<float> maxima(tasks * group), sums(tasks * group), weighted(tasks * group * d);
  at::parallel_for(0, tasks, 1, [&](int64_t first, int64_t last) {
    thread_local std::vector<float> scores;
    for (int64_t task = first; task < last; ++task) {
      const int64_t row = task / (heads * splits), head = (task / splits) % heads, part = task % splits;
      const int64_t begin = part * span, end = std::min(n, begin + span);
      const int64_t offset = row * batch_stride + head * head_stride;
      if (begin >= end) {
        std::fill(maxima.begin() + task * group, maxima.begin() + (task + 1) * group, -INFINITY);
        std::fill(sums.begin() + task * group, sums.begin() + (task + 1) * group, 0.f);
        std::fill(weighted.begin() + task * group * d, weighted.begin() + (task + 1) * group * d, 0.f);
        continue;
      }
      part_of(d)(
          q + (row * heads + head) * group * d, group, k + offset, v + offset, d, begin, end, scale,
          maxima.data() + task * group, sums.data() + task * group, weighted.data() + task * group * d, scores);
    }
  });
  for (int64_t rh = 0; rh < b * heads; ++rh)
    for (int64_t g = 0; g < group; ++g) {
      float top = -INFINITY, total = 0.f;
      for (int64_t part = 0; part < splits; ++part) top = std::max(top, maxima[(rh * splits + part) * group + g]);
      float* y = o + (rh * group + g) * d;
      std::fill(y, y + d, 0.f);
      for (int64_t part = 0; part < splits; ++part) {
        const int64_t t = rh * splits + part;
        const float weight = maxima[t * group + g] == -INFINITY ? 0.f : std::exp(maxima[t * group + g] - top);
        total += weight * sums[t * group + g];
        for (int64_t i = 0; i < d; ++i) y[i] += weight * weighted[(t * group + g) * d + i];
      }
      for (int64_t i = 0; i < d; ++i) y[i] /= total;
    }
}

TORCH_LIBRARY_FRAGMENT(llmcli_kernels, m) {
  m.def("decode_attention(Tensor q, Tensor k, Tensor v) -> Tensor");
}

TORCH_LIBRARY_IMPL(llmcli_kernels, CPU, m) {
  m.impl("decode_attention", &decode_attention);
}
