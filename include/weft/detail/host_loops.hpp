// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
#pragma once
// The loops weft writes itself on host spaces (Serial, OpenMP) instead of
// leaving them to RangePolicy and MDRangePolicy: pieces of rows, each run in
// blocks of a fixed number of independent iterations by a local copy of the
// kernel's functor. Both are what it takes for GCC to vectorize weft's
// kernels at -O2 as it does at -O3 (see run_independent).

#include "fold.hpp"
#include "policy.hpp"

#include <Kokkos_Core.hpp>

#include <cstdint>

namespace weft::detail {

/// A half-open box [lo, hi) of output points.
template <int Rank>
struct box {
  point<Rank> lo;
  point<Rank> hi;
  bool empty() const {
    for (int d = 0; d < Rank; ++d)
      if (hi[d] <= lo[d]) return true;
    return false;
  }
};

/// Iterations per block of run_independent: a multiple of every host vector
/// length (16 floats fill an AVX-512 register; WEFT_DETAIL_UNROLL_BLOCK
/// below says 16 too).
inline constexpr std::int64_t vector_block = 16;

// Unrolls a block's vector loop once it is vectorized, as -O3 does: on
// rows in the first-level cache the loop's own overhead was a tenth of the
// time at -O2. (8, not 16: a count the block's 16 iterations reach would
// unroll them before vectorization, and -O2 would then leave them scalar.)
#if defined(__GNUC__) && !defined(__clang__) && !defined(__CUDACC__) && !defined(__HIPCC__) && \
    !defined(__INTEL_LLVM_COMPILER) && !defined(__INTEL_COMPILER)
#define WEFT_DETAIL_UNROLL_VECTORS _Pragma("GCC unroll 8")
#else
#define WEFT_DETAIL_UNROLL_VECTORS
#endif

// The rest of a row after its blocks (up to 15 iterations: half of a
// 32-point row) vectorized too where OpenMP is on: `omp simd` lets GCC
// vectorize it with an epilogue at -O2. Not the whole row: forced on a
// multi-field stencil's main loop it made that loop slower.
#if defined(_OPENMP) && !defined(__CUDACC__) && !defined(__HIPCC__)
#define WEFT_DETAIL_SIMD_REST _Pragma("omp simd")
#else
#define WEFT_DETAIL_SIMD_REST
#endif

/// f(lead..., k) for k in [begin, end), whose iterations the caller knows to
/// be independent, as blocks of vector_block iterations and a rest.
/// Why blocks: at -O2 GCC 12 vectorizes with its "very cheap" cost model,
/// which refuses any loop that needs a scalar epilogue (a trip count not
/// known to be a multiple of the vector length) or a run-time alias check;
/// a block of constant length needs neither, and the independence mark
/// (WEFT_DETAIL_INDEPENDENT_ITERATIONS) settles aliasing. Callers pass a
/// local copy of their functor: one read through `this` has its captured
/// values and view pointers reloaded after every store, since the compiler
/// cannot prove the output does not alias them.
template <class F, class... Lead>
KOKKOS_FORCEINLINE_FUNCTION void run_independent(const F& f, std::int64_t begin, std::int64_t end, Lead... lead) {
#if defined(__clang__)
  // Clang vectorizes a plain loop at -O2, checking for overlap once before
  // it; in blocks it would check before every block.
  for (std::int64_t k = begin; k < end; ++k) f(lead..., k);
#else
  const std::int64_t blocks_end = begin + (end - begin) / vector_block * vector_block;
  for (std::int64_t k = begin; k < blocks_end; k += vector_block) {
    WEFT_DETAIL_INDEPENDENT_ITERATIONS
    WEFT_DETAIL_UNROLL_VECTORS
    for (std::int64_t l = 0; l < vector_block; ++l) f(lead..., k + l);
  }
  WEFT_DETAIL_SIMD_REST
  for (std::int64_t k = blocks_end; k < end; ++k) f(lead..., k);
#endif
}

// Unrolls the loop over one block's lanes before anything else, so that at
// -O2 the lanes live in registers (as -O3 gets them by itself) rather than
// being loaded and stored for every element. (Not under nvcc: host loops
// only.)
#if defined(__CUDACC__) || defined(__HIPCC__)
#define WEFT_DETAIL_UNROLL_BLOCK
#elif defined(__clang__)
#define WEFT_DETAIL_UNROLL_BLOCK _Pragma("unroll")
#elif defined(__GNUC__) && !defined(__INTEL_LLVM_COMPILER) && !defined(__INTEL_COMPILER)
#define WEFT_DETAIL_UNROLL_BLOCK _Pragma("GCC unroll 16")
#else
#define WEFT_DETAIL_UNROLL_BLOCK
#endif

/// Joins vector_block partials pairwise (0+8, 1+9, ..., then 0+4, ...) and
/// the result into acc.
template <class Fold>
KOKKOS_FORCEINLINE_FUNCTION void join_lanes(const Fold& fold, typename Fold::value_type* lanes,
                                            typename Fold::value_type& acc) {
  for (std::int64_t width = vector_block / 2; width > 0; width /= 2)
    for (std::int64_t l = 0; l < width; ++l) fold.join(lanes[l], lanes[l + width]);
  fold.join(acc, lanes[0]);
}

/// Folds at(lead..., k) for k in [begin, end) into acc. Folds with an
/// identity go in vector_block lanes (element k into lane (k - begin) %
/// vector_block) joined by join_lanes; others in order. Why lanes: a
/// compiler may not regroup a floating-point fold itself, so one
/// accumulator is a chain of dependent operations that stays scalar at any
/// -O; the lanes vectorize. They are one more fixed grouping, as the split
/// among threads is: weft's plain sums are not the same bits at every
/// thread count anyway (reproducible_plus sums are, and do not come here).
template <class Fold, class At, class... Lead>
KOKKOS_FORCEINLINE_FUNCTION void fold_run(const Fold& fold, const At& at, std::int64_t begin, std::int64_t end,
                                          typename Fold::value_type& acc, Lead... lead) {
  if constexpr (Fold::has_lanes) {
    typename Fold::value_type lanes[vector_block];
    for (std::int64_t l = 0; l < vector_block; ++l) fold.init(lanes[l]);
    const std::int64_t blocks_end = begin + (end - begin) / vector_block * vector_block;
    for (std::int64_t k = begin; k < blocks_end; k += vector_block) {
      WEFT_DETAIL_UNROLL_BLOCK
      for (std::int64_t l = 0; l < vector_block; ++l) fold.add(lanes[l], at(lead..., k + l));
    }
    for (std::int64_t k = blocks_end; k < end; ++k) fold.add(lanes[k - blocks_end], at(lead..., k));
    join_lanes(fold, lanes, acc);
  } else {
    for (std::int64_t k = begin; k < end; ++k) fold.add(acc, at(lead..., k));
  }
}

/// A box as pieces of rows along its last dimension, each run by
/// run_independent. A work item is one row, or a segment of one when rows
/// are long, so that boxes of few rows still spread over the threads; in
/// 3-D, an MDRangePolicy over the first two dimensions calls it for whole
/// rows (in which order: launch_row_pieces). Only for kernels whose points
/// are independent (each writes its own output elements, checked to share
/// none with the inputs).
template <class Functor, int Rank>
struct row_pieces_functor {
  static constexpr std::int64_t segment = 2048;
  Functor f;
  point<Rank> lo, hi;
  std::int64_t segments;  // per row

  KOKKOS_INLINE_FUNCTION void operator()(std::int64_t item) const
    requires(Rank < 3)
  {
    const std::int64_t row = item / segments, piece = item % segments;
    const std::int64_t begin = lo[Rank - 1] + piece * segment;
    const std::int64_t end = begin + segment < hi[Rank - 1] ? begin + segment : hi[Rank - 1];
    const Functor body = f;  // a local copy: see run_independent
    if constexpr (Rank == 1) {
      run_independent(body, begin, end);
    } else {
      run_independent(body, begin, end, lo[0] + row);
    }
  }
  KOKKOS_INLINE_FUNCTION void operator()(std::int64_t i, std::int64_t j) const
    requires(Rank == 3)
  {
    const Functor body = f;
    run_independent(body, lo[2], hi[2], i, j);
  }
};

/// Launches functor over a non-empty box in row pieces (host spaces only).
/// `neighbour_rows`: the kernel reads the rows around its own (a stencil);
/// 3-D rows then run in tiles of 2 x 2 (i, j), as Kokkos tiles a 3-D
/// MDRange, so that the rows a tile reads (4 planes x 4 rows) stay in L1/L2
/// while the planes stream. Kokkos' default tiles over (i, j), 2 x all j,
/// sweep whole planes, which reuse rows from L2 only while 3 planes fit
/// there: stencils ran at 0.76-0.84 of hand-written Kokkos at 128^3-192^3
/// with a 1 MiB L2. Maps, which read only their own row, keep the planes.
template <class Exec, int Rank, class Functor>
void launch_row_pieces(const Exec& exec, const char* label, const box<Rank>& b, const Functor& functor,
                       bool neighbour_rows = false) {
  using pieces = row_pieces_functor<Functor, Rank>;
  if constexpr (Rank == 3) {
    const point<2> lo{b.lo[0], b.lo[1]}, hi{b.hi[0], b.hi[1]};
    if (neighbour_rows)
      Kokkos::parallel_for(label, md_policy<Exec, 2>(exec, lo, hi, point<2>{2, 2}), pieces{functor, b.lo, b.hi, 1});
    else
      Kokkos::parallel_for(label, md_policy<Exec, 2>(exec, lo, hi), pieces{functor, b.lo, b.hi, 1});
  } else {
    const std::int64_t rows = Rank == 2 ? b.hi[0] - b.lo[0] : 1;
    const std::int64_t segments = (b.hi[Rank - 1] - b.lo[Rank - 1] + pieces::segment - 1) / pieces::segment;
    Kokkos::parallel_for(label, range(exec, rows * segments), pieces{functor, b.lo, b.hi, segments});
  }
}

/// Launches functor over a box (nothing for an empty one): on host spaces
/// in row pieces (unless the output's first dimension is its fastest, for
/// which MDRangePolicy walks memory in order), elsewhere MDRangePolicy.
template <class Exec, int Rank, class Functor>
void launch_box(const Exec& exec, const char* label, const box<Rank>& b, const Functor& functor) {
  if (b.empty()) return;
  if constexpr (host_kernels<Exec>) {
    bool left = false;
    if constexpr (Rank > 1 && requires { functor.output_first_dimension_fastest(); })
      left = functor.output_first_dimension_fastest();
    if (!left) return launch_row_pieces(exec, label, b, functor, true);
  }
  if constexpr (Rank == 1) {
    Kokkos::parallel_for(label, range(exec, b.lo[0], b.hi[0]), functor);
  } else {
    Kokkos::parallel_for(label, md_policy<Exec, Rank>(exec, b.lo, b.hi), functor);
  }
}

}  // namespace weft::detail
