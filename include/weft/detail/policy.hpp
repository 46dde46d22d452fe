// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
#pragma once
// Execution policies weft launches with: 64-bit indices everywhere, so views
// past 2^31 elements work on every backend, on the caller's instance; and
// launches over 2-D and 3-D boxes that follow the view's layout.

#include "host_kernels.hpp"

#include <Kokkos_Core.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <type_traits>

namespace weft::detail {

template <class Exec>
using range_policy = Kokkos::RangePolicy<Exec, Kokkos::IndexType<std::int64_t>>;

template <class Exec, int Rank>
using md_policy = Kokkos::MDRangePolicy<Exec, Kokkos::Rank<static_cast<unsigned>(Rank)>, Kokkos::IndexType<std::int64_t>>;

template <class Exec>
range_policy<Exec> range(const Exec& exec, std::int64_t begin, std::int64_t end) {
  return range_policy<Exec>(exec, begin, end);
}

template <class Exec>
range_policy<Exec> range(const Exec& exec, std::int64_t n) {
  return range(exec, 0, n);
}

// Tells the compiler that the iterations of the loop that follows are
// independent, so it may vectorize without checking at run time whether
// outputs alias inputs: weft puts it only before loops whose outputs it has
// checked share no element with their inputs. (Under nvcc, whose host pass
// would also see it in device code, it is left out. Under clang too: its
// `vectorize(assume_safety)` warns, -Wpass-failed, on by default, in the
// user's build wherever the loop does not vectorize, and clang versions its
// loops with run-time overlap checks of its own.)
#if defined(__CUDACC__) || defined(__HIPCC__) || defined(__clang__)
#define WEFT_DETAIL_INDEPENDENT_ITERATIONS
#elif defined(__INTEL_LLVM_COMPILER) || defined(__INTEL_COMPILER)
#define WEFT_DETAIL_INDEPENDENT_ITERATIONS _Pragma("ivdep")
#elif defined(__GNUC__)
#define WEFT_DETAIL_INDEPENDENT_ITERATIONS _Pragma("GCC ivdep")
#else
#define WEFT_DETAIL_INDEPENDENT_ITERATIONS
#endif

template <class View>
std::int64_t extent(const View& v, int d = 0) {
  return static_cast<std::int64_t>(v.extent(d));
}

template <int Rank>
using point = Kokkos::Array<std::int64_t, static_cast<std::size_t>(Rank)>;

/// The 1-D point i. (Not `point<1>{i}` or `return {i};`: nvcc 13 with
/// Kokkos 4.6 rejects brace elision into Kokkos::Array there.)
KOKKOS_INLINE_FUNCTION point<1> point_at(std::int64_t i) {
  point<1> p{};
  p[0] = i;
  return p;
}

/// Whether two views of one rank have the same extents.
template <class A, class B>
bool same_extents(const A& a, const B& b) {
  for (int d = 0; d < static_cast<int>(A::rank); ++d)
    if (a.extent(d) != b.extent(d)) return false;
  return true;
}

/// A view's extents for error messages: "1000", "30 x 40".
template <class View>
std::string extents_text(const View& v) {
  std::string s;
  for (int d = 0; d < static_cast<int>(View::rank); ++d) s += (d ? " x " : "") + std::to_string(v.extent(d));
  return s;
}

/// A view's extents as a point.
template <class View>
point<static_cast<int>(View::rank)> extents_of(const View& v) {
  point<static_cast<int>(View::rank)> n;
  for (int d = 0; d < static_cast<int>(View::rank); ++d) n[d] = extent(v, d);
  return n;
}

template <int Rank>
std::int64_t points_in(const point<Rank>& n) {
  std::int64_t p = 1;
  for (int d = 0; d < Rank; ++d) p *= n[d];
  return p;
}

/// Whether a view's first dimension is its fastest (LayoutLeft, or a strided
/// view laid out so): loops over it should then run innermost.
template <class View>
bool first_dimension_fastest(const View& v) {
  using layout = typename View::array_layout;
  if constexpr (View::rank < 2 || std::is_same_v<layout, Kokkos::LayoutRight>) {
    return false;
  } else if constexpr (std::is_same_v<layout, Kokkos::LayoutLeft>) {
    return true;
  } else {
    return v.stride(0) < v.stride(View::rank - 1);
  }
}

/// Runs functor(i, j[, k]) at every point of the box [0, n) of rank 2 or 3,
/// iterating with the first dimension innermost when `left` (to follow a
/// LayoutLeft view through memory), else the last.
template <class Exec, int Rank, class Functor>
void launch_md(const Exec& exec, const char* label, const point<Rank>& n, bool left, const Functor& functor) {
  static_assert(Rank == 2 || Rank == 3);
  if (points_in<Rank>(n) == 0) return;
  const point<Rank> zero{};
  using Kokkos::Iterate;
  if (left) {
    using policy = Kokkos::MDRangePolicy<Exec, Kokkos::Rank<static_cast<unsigned>(Rank), Iterate::Left, Iterate::Left>,
                                         Kokkos::IndexType<std::int64_t>>;
    Kokkos::parallel_for(label, policy(exec, zero, n), functor);
  } else {
    using policy = Kokkos::MDRangePolicy<Exec, Kokkos::Rank<static_cast<unsigned>(Rank), Iterate::Right, Iterate::Right>,
                                         Kokkos::IndexType<std::int64_t>>;
    Kokkos::parallel_for(label, policy(exec, zero, n), functor);
  }
}

}  // namespace weft::detail
