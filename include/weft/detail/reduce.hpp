// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
#pragma once
// Kernel bodies of the reduction family (reduce.hpp).

#include "config.hpp"
#include "fold.hpp"
#include "host_loops.hpp"
#include "policy.hpp"

#include <Kokkos_Core.hpp>

#include <cstdint>
#include <string>

namespace weft::detail {

/// i -> v(i)
template <class View>
struct element_map {
  View v;
  KOKKOS_INLINE_FUNCTION decltype(auto) operator()(std::int64_t i) const { return v(i); }
};

/// i -> f(v(i))
template <class View, class F>
struct unary_map {
  View v;
  F f;
  WEFT_DETAIL_CALLS_USER_FUNCTION
  KOKKOS_INLINE_FUNCTION decltype(auto) operator()(std::int64_t i) const { return f(v(i)); }
};

/// i -> f(a(i), b(i))
template <class A, class B, class F>
struct binary_map {
  A a;
  B b;
  F f;
  WEFT_DETAIL_CALLS_USER_FUNCTION
  KOKKOS_INLINE_FUNCTION decltype(auto) operator()(std::int64_t i) const { return f(a(i), b(i)); }
};

/// Folds map(i) over a range with Fold (identity_fold or optional_fold).
template <class Fold, class Map>
struct fold_functor {
  using value_type = typename Fold::value_type;
  Fold fold;
  Map map;

  KOKKOS_INLINE_FUNCTION void operator()(std::int64_t i, value_type& acc) const {
    fold.add(acc, map(i));
  }
  KOKKOS_INLINE_FUNCTION void init(value_type& acc) const { fold.init(acc); }
  KOKKOS_INLINE_FUNCTION void join(value_type& dst, const value_type& src) const {
    fold.join(dst, src);
  }
  WEFT_DETAIL_VOLATILE_JOIN(value_type)
};

/// Folds map over [0, n) on host spaces, a chunk of elements per work item
/// by fold_run, on local copies of the fold and the map (see
/// run_independent).
template <class Fold, class Map>
struct chunk_fold_functor {
  using value_type = typename Fold::value_type;
  static constexpr std::int64_t chunk = 4096;
  Fold fold;
  Map map;
  std::int64_t n;

  KOKKOS_INLINE_FUNCTION void operator()(std::int64_t item, value_type& acc) const {
    const Fold local_fold = fold;
    const Map local_map = map;
    const std::int64_t begin = item * chunk, end = begin + chunk < n ? begin + chunk : n;
    fold_run(local_fold, local_map, begin, end, acc);
  }
  KOKKOS_INLINE_FUNCTION void init(value_type& acc) const { fold.init(acc); }
  KOKKOS_INLINE_FUNCTION void join(value_type& dst, const value_type& src) const { fold.join(dst, src); }
  WEFT_DETAIL_VOLATILE_JOIN(value_type)
};

/// map(0) op ... op map(n-1), or an empty value when n == 0 (op associative
/// and commutative). Blocks until the result is on the host (Kokkos fences
/// the instance).
template <class T, class Exec, class Op, class Map>
optional_value<T> fold_partial(const Exec& exec, const char* label, std::int64_t n, Op op, Map map) {
  if (n == 0) return {T{}, false};
  using fold_type = fold_for<T, Op>;
  typename fold_type::value_type acc;
  if constexpr (host_kernels<Exec>) {
    using functor = chunk_fold_functor<fold_type, Map>;
    Kokkos::parallel_reduce(label, range(exec, (n + functor::chunk - 1) / functor::chunk),
                            functor{fold_type{op}, map, n}, acc);
  } else {
    Kokkos::parallel_reduce(label, range(exec, n), fold_functor<fold_type, Map>{fold_type{op}, map}, acc);
  }
  return {fold_type::get(acc), true};
}

/// init op map(0) op ... op map(n-1).
template <class T, class Exec, class Op, class Map>
T fold_range(const Exec& exec, const char* label, std::int64_t n, const T& init, Op op, Map map) {
  const optional_value<T> part = fold_partial<T>(exec, label, n, op, map);
  return part.valid ? T(op(init, part.value)) : init;
}

/// The rule of min_loc (Largest false) and max_loc: whether element a at
/// index ia beats the best so far, b at index ib. A NaN beats every number
/// and the first NaN wins (IEEE 754-2019's minimum and maximum propagate
/// NaN; numpy's argmin and argmax give the first NaN); among numbers the
/// smaller (larger) by operator< wins, and the smaller index on ties. A
/// total order of (value, index), so the answer does not depend on how the
/// elements are split among threads, ranks or GPU blocks.
template <bool Largest, class T>
KOKKOS_INLINE_FUNCTION bool extremum_beats(const T& a, std::int64_t ia, const T& b, std::int64_t ib) {
  const bool nan_a = is_nan(a), nan_b = is_nan(b);
  if (nan_a || nan_b) return nan_a && (!nan_b || ia < ib);
  const bool a_first = Largest ? (b < a) : (a < b);
  const bool b_first = Largest ? (a < b) : (b < a);
  return a_first || (!b_first && ia < ib);
}

/// Location of the smallest (or, Largest, the largest) element by
/// extremum_beats. index < 0 marks "nothing seen yet".
template <class View, bool Largest>
struct extremum_functor {
  using element_type = typename View::non_const_value_type;
  struct value_type {
    element_type value;
    std::int64_t index;
  };
  View v;

  KOKKOS_INLINE_FUNCTION static bool better(const element_type& a, std::int64_t ia,
                                            const value_type& b) {
    return b.index < 0 || extremum_beats<Largest>(a, ia, b.value, b.index);
  }
  KOKKOS_INLINE_FUNCTION void operator()(std::int64_t i, value_type& acc) const {
    const element_type x = v(i);
    if (better(x, i, acc)) {
      acc.value = x;
      acc.index = i;
    }
  }
  KOKKOS_INLINE_FUNCTION void init(value_type& acc) const { acc.index = -1; }
  KOKKOS_INLINE_FUNCTION void join(value_type& dst, const value_type& src) const {
    if (src.index >= 0 && better(src.value, src.index, dst)) dst = src;
  }
  WEFT_DETAIL_VOLATILE_JOIN(value_type)
};

/// The extremum_functor's result over v: index < 0 when v is empty. Blocks.
template <bool Largest, class Exec, class View>
typename extremum_functor<View, Largest>::value_type extremum_partial(const Exec& exec, const View& v,
                                                                      const char* label) {
  using functor_type = extremum_functor<View, Largest>;
  typename functor_type::value_type result;
  result.index = -1;
  if (v.extent(0) > 0) Kokkos::parallel_reduce(label, range(exec, extent(v)), functor_type{v}, result);
  return result;
}

}  // namespace weft::detail

namespace weft::detail {

// ---- Reductions over 2-D and 3-D boxes ----

/// (i, j[, k]) -> v(i, j[, k])
template <class View>
struct md_element_map {
  View v;
  template <class... I>
  KOKKOS_INLINE_FUNCTION decltype(auto) operator()(I... i) const {
    return v(i...);
  }
};

/// (i, j[, k]) -> f(v(i, j[, k]))
template <class View, class F>
struct md_unary_map {
  View v;
  F f;
  template <class... I>
  KOKKOS_INLINE_FUNCTION decltype(auto) operator()(I... i) const {
    return f(v(i...));
  }
};

/// (i, j[, k]) -> f(a(i, j[, k]), b(i, j[, k]))
template <class A, class B, class F>
struct md_binary_map {
  A a;
  B b;
  F f;
  template <class... I>
  KOKKOS_INLINE_FUNCTION decltype(auto) operator()(I... i) const {
    return f(a(i...), b(i...));
  }
};

/// map at (row, k), rows being the lines along the last index in
/// row-major order; `n1` is the second extent of a 3-D box.
template <class Map, int Rank>
struct row_map {
  Map map;
  std::int64_t n1;
  KOKKOS_INLINE_FUNCTION decltype(auto) operator()(std::int64_t row, std::int64_t k) const {
    if constexpr (Rank == 2) return map(row, k);
    else return map(row / n1, row % n1, k);
  }
};

/// The fold of map over a 2-D or 3-D box on host spaces, in an order that
/// the box's layout does not change. Rows are the lines along the last
/// index, taken in row-major order. A work item is a block of up to 8 rows
/// times a segment of up to 4096 columns: each of its rows is folded as
/// fold_run folds it (in lanes where the fold has an identity) into a
/// partial of its own, and the partials are joined
/// into the thread's accumulator in row order. Only the loop nest inside an
/// item depends on the layout (with the first dimension fastest, 2-D items
/// walk their rows together, column by column, to read memory in order);
/// the groupings of the operation are the same, so LayoutLeft, LayoutRight
/// and strided views of the same values give the same bits, and vary with
/// the thread count only as a rank-1 reduction does.
template <class Fold, class Map, int Rank>
struct rows_fold_functor {
  using value_type = typename Fold::value_type;
  static constexpr std::int64_t block_rows = 8;
  static constexpr std::int64_t segment = 4096;
  Fold fold;
  Map map;
  point<Rank> n;
  bool left;
  std::int64_t segments;  // per row

  KOKKOS_INLINE_FUNCTION void operator()(std::int64_t item, value_type& acc) const {
    const std::int64_t rows = Rank == 2 ? n[0] : n[0] * n[1];
    const std::int64_t r0 = (item / segments) * block_rows;
    const std::int64_t r1 = r0 + block_rows < rows ? r0 + block_rows : rows;
    const std::int64_t k0 = (item % segments) * segment;
    const std::int64_t k1 = k0 + segment < n[Rank - 1] ? k0 + segment : n[Rank - 1];
    const Fold local_fold = fold;  // local copies: see run_independent
    const row_map<Map, Rank> at{map, n[Rank == 3 ? 1 : 0]};
    value_type part[block_rows];
    for (std::int64_t r = r0; r < r1; ++r) local_fold.init(part[r - r0]);
    if (Rank == 2 && left) {
      // Column by column, each row's element k into the lane fold_run
      // would give it, so that the bits do not depend on the layout.
      if constexpr (Fold::has_lanes) {
        value_type lanes[block_rows][vector_block];
        for (std::int64_t r = r0; r < r1; ++r)
          for (std::int64_t l = 0; l < vector_block; ++l) local_fold.init(lanes[r - r0][l]);
        for (std::int64_t k = k0; k < k1; ++k)
          for (std::int64_t r = r0; r < r1; ++r) local_fold.add(lanes[r - r0][(k - k0) % vector_block], at(r, k));
        for (std::int64_t r = r0; r < r1; ++r) join_lanes(local_fold, lanes[r - r0], part[r - r0]);
      } else {
        for (std::int64_t k = k0; k < k1; ++k)
          for (std::int64_t r = r0; r < r1; ++r) local_fold.add(part[r - r0], at(r, k));
      }
    } else {
      for (std::int64_t r = r0; r < r1; ++r) fold_run(local_fold, at, k0, k1, part[r - r0], r);
    }
    for (std::int64_t r = r0; r < r1; ++r) local_fold.join(acc, part[r - r0]);
  }
  KOKKOS_INLINE_FUNCTION void init(value_type& acc) const { fold.init(acc); }
  KOKKOS_INLINE_FUNCTION void join(value_type& dst, const value_type& src) const { fold.join(dst, src); }
  WEFT_DETAIL_VOLATILE_JOIN(value_type)
};

/// The fold of map over a box on device spaces: one MDRangePolicy over the
/// logical (row-major) order, whatever the layout.
template <class Fold, class Map>
struct md_fold_functor {
  using value_type = typename Fold::value_type;
  Fold fold;
  Map map;
  KOKKOS_INLINE_FUNCTION void operator()(std::int64_t i, std::int64_t j, value_type& acc) const {
    fold.add(acc, map(i, j));
  }
  KOKKOS_INLINE_FUNCTION void operator()(std::int64_t i, std::int64_t j, std::int64_t k, value_type& acc) const {
    fold.add(acc, map(i, j, k));
  }
  KOKKOS_INLINE_FUNCTION void init(value_type& acc) const { fold.init(acc); }
  KOKKOS_INLINE_FUNCTION void join(value_type& dst, const value_type& src) const { fold.join(dst, src); }
  WEFT_DETAIL_VOLATILE_JOIN(value_type)
};

/// map folded over the box [0, n) of rank 2 or 3 (empty when the box is).
/// `left`: the data's first dimension is its fastest. Blocks.
template <class T, class Exec, int Rank, class Op, class Map>
optional_value<T> fold_partial_md(const Exec& exec, const char* label, const point<Rank>& n, bool left, Op op,
                                  Map map) {
  if (points_in<Rank>(n) == 0) return {T{}, false};
  using fold_type = fold_for<T, Op>;
  typename fold_type::value_type acc;
  const fold_type fold{op};
  if constexpr (host_kernels<Exec>) {
    using functor = rows_fold_functor<fold_type, Map, Rank>;
    const std::int64_t rows = Rank == 2 ? n[0] : n[0] * n[1];
    const std::int64_t segments = (n[Rank - 1] + functor::segment - 1) / functor::segment;
    const std::int64_t items = (rows + functor::block_rows - 1) / functor::block_rows * segments;
    Kokkos::parallel_reduce(label, range(exec, items), functor{fold, map, n, left, segments}, acc);
  } else {
    using policy = Kokkos::MDRangePolicy<Exec, Kokkos::Rank<static_cast<unsigned>(Rank), Kokkos::Iterate::Right, Kokkos::Iterate::Right>,
                                         Kokkos::IndexType<std::int64_t>>;
    Kokkos::parallel_reduce(label, policy(exec, point<Rank>{}, n), md_fold_functor<fold_type, Map>{fold, map}, acc);
  }
  return {fold_type::get(acc), true};
}

/// The best element of a box by extremum_beats, with indices shifted by
/// `offset` and ranked by their row-major position in a box of extents
/// `whole` (a grid's global extents; the view's own for a view). index < 0:
/// nothing seen. The order is total, so any traversal gives one answer.
template <class View, bool Largest, int Rank>
struct md_extremum_functor {
  using element_type = typename View::non_const_value_type;
  struct value_type {
    element_type value;
    std::int64_t index;  // row-major in `whole`
  };
  View v;
  point<Rank> offset;
  point<Rank> whole;

  KOKKOS_INLINE_FUNCTION static bool better(const element_type& a, std::int64_t ia, const value_type& b) {
    return b.index < 0 || extremum_beats<Largest>(a, ia, b.value, b.index);
  }
  KOKKOS_INLINE_FUNCTION void add(value_type& acc, const element_type& x, std::int64_t index) const {
    if (better(x, index, acc)) {
      acc.value = x;
      acc.index = index;
    }
  }
  KOKKOS_INLINE_FUNCTION void operator()(std::int64_t i, std::int64_t j, value_type& acc) const {
    add(acc, v(i, j), (offset[0] + i) * whole[1] + offset[1] + j);
  }
  KOKKOS_INLINE_FUNCTION void operator()(std::int64_t i, std::int64_t j, std::int64_t k, value_type& acc) const {
    add(acc, v(i, j, k), ((offset[0] + i) * whole[1] + offset[1] + j) * whole[2] + offset[2] + k);
  }
  KOKKOS_INLINE_FUNCTION void init(value_type& acc) const { acc.index = -1; }
  KOKKOS_INLINE_FUNCTION void join(value_type& dst, const value_type& src) const {
    if (src.index >= 0 && better(src.value, src.index, dst)) dst = src;
  }
  WEFT_DETAIL_VOLATILE_JOIN(value_type)
};

/// md_extremum_functor's result over all of v (index < 0 when v is empty). Blocks.
template <bool Largest, class Exec, class View>
typename md_extremum_functor<View, Largest, static_cast<int>(View::rank)>::value_type extremum_partial_md(
    const Exec& exec, const View& v, const char* label, const point<static_cast<int>(View::rank)>& offset,
    const point<static_cast<int>(View::rank)>& whole) {
  constexpr int Rank = static_cast<int>(View::rank);
  using functor = md_extremum_functor<View, Largest, Rank>;
  typename functor::value_type result;
  result.index = -1;
  const point<Rank> n = extents_of(v);
  if (points_in<Rank>(n) == 0) return result;
  using Kokkos::Iterate;
  if (first_dimension_fastest(v)) {
    using policy = Kokkos::MDRangePolicy<Exec, Kokkos::Rank<static_cast<unsigned>(Rank), Iterate::Left, Iterate::Left>,
                                         Kokkos::IndexType<std::int64_t>>;
    Kokkos::parallel_reduce(label, policy(exec, point<Rank>{}, n), functor{v, offset, whole}, result);
  } else {
    using policy = Kokkos::MDRangePolicy<Exec, Kokkos::Rank<static_cast<unsigned>(Rank), Iterate::Right, Iterate::Right>,
                                         Kokkos::IndexType<std::int64_t>>;
    Kokkos::parallel_reduce(label, policy(exec, point<Rank>{}, n), functor{v, offset, whole}, result);
  }
  return result;
}

}  // namespace weft::detail
