#pragma once
// Kernel bodies for the algorithms on distributed grids: the same functors
// as the rank-1 ones, over a 2-D or 3-D MDRangePolicy of a rank's block.

#include "../../detail/fold.hpp"
#include "../../detail/policy.hpp"
#include "../../detail/reduce.hpp"

#include <Kokkos_Core.hpp>

#include <array>
#include <cstdint>

namespace weft::detail {

/// The MDRangePolicy over a block of the given extents (nothing if empty).
template <class Exec, std::size_t Rank>
md_policy<Exec, int(Rank)> block_policy(const Exec& exec, const std::array<std::int64_t, Rank>& m) {
  Kokkos::Array<std::int64_t, Rank> lo{}, hi;
  for (std::size_t d = 0; d < Rank; ++d) hi[d] = m[d];
  return md_policy<Exec, int(Rank)>(exec, lo, hi);
}

template <class View, class F>
struct md_for_each_functor {
  View v;
  F f;
  template <class... I>
  KOKKOS_INLINE_FUNCTION void operator()(I... i) const {
    f(v(i...));
  }
};

/// f(global i, global j[, global k], v(i, j[, k]))
template <class View, class F, int Rank>
struct md_for_each_index_functor {
  View v;
  F f;
  Kokkos::Array<std::int64_t, Rank> offset;
  KOKKOS_INLINE_FUNCTION void operator()(std::int64_t i, std::int64_t j) const { f(offset[0] + i, offset[1] + j, v(i, j)); }
  KOKKOS_INLINE_FUNCTION void operator()(std::int64_t i, std::int64_t j, std::int64_t k) const {
    f(offset[0] + i, offset[1] + j, offset[2] + k, v(i, j, k));
  }
};

template <class In, class Out, class F>
struct md_transform_functor {
  In in;
  Out out;
  F f;
  template <class... I>
  KOKKOS_INLINE_FUNCTION void operator()(I... i) const {
    out(i...) = f(in(i...));
  }
};

template <class In1, class In2, class Out, class F>
struct md_transform2_functor {
  In1 in1;
  In2 in2;
  Out out;
  F f;
  template <class... I>
  KOKKOS_INLINE_FUNCTION void operator()(I... i) const {
    out(i...) = f(in1(i...), in2(i...));
  }
};

template <class View>
struct md_element_map {
  View v;
  template <class... I>
  KOKKOS_INLINE_FUNCTION decltype(auto) operator()(I... i) const {
    return v(i...);
  }
};

template <class View, class F>
struct md_unary_map {
  View v;
  F f;
  template <class... I>
  KOKKOS_INLINE_FUNCTION decltype(auto) operator()(I... i) const {
    return f(v(i...));
  }
};

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

/// The best element of a block by global row-major index (index < 0: none).
template <class View, bool Largest, int Rank>
struct md_extremum_functor {
  using element_type = typename View::non_const_value_type;
  struct value_type {
    element_type value;
    std::int64_t index;
  };
  View v;
  Kokkos::Array<std::int64_t, Rank> offset;
  Kokkos::Array<std::int64_t, Rank> global;

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
    add(acc, v(i, j), (offset[0] + i) * global[1] + offset[1] + j);
  }
  KOKKOS_INLINE_FUNCTION void operator()(std::int64_t i, std::int64_t j, std::int64_t k, value_type& acc) const {
    add(acc, v(i, j, k), ((offset[0] + i) * global[1] + offset[1] + j) * global[2] + offset[2] + k);
  }
  KOKKOS_INLINE_FUNCTION void init(value_type& acc) const { acc.index = -1; }
  KOKKOS_INLINE_FUNCTION void join(value_type& dst, const value_type& src) const {
    if (src.index >= 0 && better(src.value, src.index, dst)) dst = src;
  }
  WEFT_DETAIL_VOLATILE_JOIN(value_type)
};

}  // namespace weft::detail
