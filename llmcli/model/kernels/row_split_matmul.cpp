// A matrix product whose rows are shared out among the threads, each block's product on a
// thread of its own (oneDNN's, single-threaded inside the parallel region).
//
// For some shapes of a training step oneDNN keeps one of two threads idle: on a 2-core Xeon
// with AMX, a bf16 (1016 x 1536) @ (1536 x 576) took 1.6 ms on two threads and about as long
// on one, and two blocks of 508 rows side by side took 0.9 ms. The rows of each block are
// computed as they would be in the whole product, so the result is the same to the bit.
// row_split.py times the ways of a product for each shape and takes this one where it is fastest.
#include <torch/library.h>
#include <ATen/ATen.h>
#include <ATen/Parallel.h>

namespace {

at::Tensor row_split_mm(const at::Tensor& a, const at::Tensor& b, int64_t parts) {
  TORCH_CHECK(a.dim() == 2 && b.dim() == 2 && a.size(1) == b.size(0), "row_split_mm: shapes do not match");
  const int64_t m = a.size(0);
  at::Tensor out = at::empty({m, b.size(1)}, a.options());
  parts = std::max<int64_t>(1, std::min(parts, m));
  at::parallel_for(0, parts, 1, [&](int64_t begin, int64_t end) {
    // a worker thread has autograd's defaults, not the caller's: these blocks are not recorded
    at::AutoDispatchBelowADInplaceOrView below_autograd;
    for (int64_t p = begin; p < end; ++p) {
      const int64_t lo = m * p / parts, hi = m * (p + 1) / parts;
      at::Tensor block = out.narrow(0, lo, hi - lo);
      at::mm_out(block, a.narrow(0, lo, hi - lo), b);
    }
  });
  return out;
}

}  // namespace

TORCH_LIBRARY_FRAGMENT(llmcli_training, m) {
  m.def("row_split_mm(Tensor a, Tensor b, int parts) -> Tensor");
}

TORCH_LIBRARY_IMPL(llmcli_training, CPU, m) {
  m.impl("row_split_mm", &row_split_mm);
}
