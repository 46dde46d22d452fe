// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
#pragma once
// Function objects for reductions, scans and sorts, callable on host and device.
//
// Each is a class template whose default, e.g. weft::plus<> (or just
// weft::plus{}), is transparent: it takes two arguments of any types and
// returns what the operator gives. weft::plus<double> fixes the type.
// weft knows the identity element of these on arithmetic types and then uses
// a cheaper reduction; any other associative callable works too.

#include "detail/config.hpp"  // first: the C++20 check

#include <Kokkos_Core.hpp>

#include <type_traits>

namespace weft {

namespace detail {
/// Whether x is a NaN; false for every type but floating point. (Compilers
/// told to assume there are no NaNs, by -ffast-math, may fold this away.)
template <class T>
KOKKOS_INLINE_FUNCTION constexpr bool is_nan(const T& x) noexcept {
  if constexpr (std::is_floating_point_v<T>) return x != x;
  else return false;
}
}  // namespace detail

#define WEFT_DETAIL_BINARY_FUNCTION_OBJECT(name, expression)                                                        \
  template <class T = void>                                                                                         \
  struct name {                                                                                                     \
    KOKKOS_INLINE_FUNCTION constexpr T operator()(const T& a, const T& b) const noexcept(noexcept(T(expression))) { \
      return expression;                                                                                            \
    }                                                                                                               \
  };                                                                                                                \
  template <>                                                                                                       \
  struct name<void> {                                                                                               \
    template <class A, class B>                                                                                     \
    KOKKOS_INLINE_FUNCTION constexpr auto operator()(const A& a, const B& b) const noexcept(noexcept(expression)) { \
      return expression;                                                                                            \
    }                                                                                                               \
  };

/// a + b
WEFT_DETAIL_BINARY_FUNCTION_OBJECT(plus, a + b)
/// a + b, and a request: reduce, transform_reduce and the scans, local and
/// distributed, given reproducible_plus with a float or double accumulator
/// compute a sum whose bits do not depend on the thread count, rank count,
/// partition, backend or order of the inputs (see weft/reproducible.hpp).
/// On integers it is plain plus, whose sums are exact anyway.
WEFT_DETAIL_BINARY_FUNCTION_OBJECT(reproducible_plus, a + b)
/// a * b
WEFT_DETAIL_BINARY_FUNCTION_OBJECT(multiplies, a * b)
/// The smaller of a and b; a when they compare equal. A NaN wins (a if
/// both are), as IEEE 754-2019's minimum says, so a reduction over data
/// with a NaN gives a NaN whatever the order of combination.
WEFT_DETAIL_BINARY_FUNCTION_OBJECT(minimum, detail::is_nan(a) ? a : ((b < a || detail::is_nan(b)) ? b : a))
/// The larger of a and b; a when they compare equal. A NaN wins (a if both
/// are), as IEEE 754-2019's maximum says.
WEFT_DETAIL_BINARY_FUNCTION_OBJECT(maximum, detail::is_nan(a) ? a : ((a < b || detail::is_nan(b)) ? b : a))
/// a && b
WEFT_DETAIL_BINARY_FUNCTION_OBJECT(logical_and, a && b)
/// a || b
WEFT_DETAIL_BINARY_FUNCTION_OBJECT(logical_or, a || b)
/// a & b
WEFT_DETAIL_BINARY_FUNCTION_OBJECT(bit_and, a & b)
/// a | b
WEFT_DETAIL_BINARY_FUNCTION_OBJECT(bit_or, a | b)
/// a ^ b
WEFT_DETAIL_BINARY_FUNCTION_OBJECT(bit_xor, a ^ b)

#undef WEFT_DETAIL_BINARY_FUNCTION_OBJECT

// Comparisons, for sorts and by-key algorithms: they return bool.
#define WEFT_DETAIL_COMPARISON_OBJECT(name, expression)                                      \
  template <class T = void>                                                                  \
  struct name {                                                                              \
    KOKKOS_INLINE_FUNCTION constexpr bool operator()(const T& a, const T& b) const {         \
      return expression;                                                                     \
    }                                                                                        \
  };                                                                                         \
  template <>                                                                                \
  struct name<void> {                                                                        \
    template <class A, class B>                                                              \
    KOKKOS_INLINE_FUNCTION constexpr bool operator()(const A& a, const B& b) const {         \
      return expression;                                                                     \
    }                                                                                        \
  };

/// a < b: the default order of weft::sort (which sorts NaNs last; see sort.hpp).
WEFT_DETAIL_COMPARISON_OBJECT(less, a < b)
/// b < a: descending order.
WEFT_DETAIL_COMPARISON_OBJECT(greater, b < a)
/// a == b: the default key equality of unique and the by-key algorithms.
WEFT_DETAIL_COMPARISON_OBJECT(equal_to, a == b)

#undef WEFT_DETAIL_COMPARISON_OBJECT

}  // namespace weft
