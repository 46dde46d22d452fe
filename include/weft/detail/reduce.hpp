#pragma once
// Kernel bodies of the reduction family (reduce.hpp).

#include "fold.hpp"
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
  KOKKOS_INLINE_FUNCTION decltype(auto) operator()(std::int64_t i) const { return f(v(i)); }
};

/// i -> f(a(i), b(i))
template <class A, class B, class F>
struct binary_map {
  A a;
  B b;
  F f;
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

/// map(0) op ... op map(n-1), or an empty value when n == 0 (op associative
/// and commutative). Blocks until the result is on the host (Kokkos fences
/// the instance).
template <class T, class Exec, class Op, class Map>
optional_value<T> fold_partial(const Exec& exec, const char* label, std::int64_t n, Op op, Map map) {
  if (n == 0) return {T{}, false};
  using fold_type = fold_for<T, Op>;
  typename fold_type::value_type acc;
  Kokkos::parallel_reduce(label, range(exec, n), fold_functor<fold_type, Map>{fold_type{op}, map}, acc);
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
