// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
#pragma once
// How weft folds values with a user's operation.
//
// Users' reduce and scan operations need no identity element, so a fold
// carries an "empty yet" flag next to the value (optional_value). For the
// weft:: function objects on arithmetic types the identity is known, and the
// plain value is folded instead: the same code a hand-written Kokkos reducer
// gives, with no flag to test per element.

#include "../functional.hpp"

#include <Kokkos_Core.hpp>

#include <limits>
#include <type_traits>

// Kokkos 3 joins reduction values through volatile references; Kokkos 4
// deprecates that. Functors define join(T&, const T&) and add this forwarder.
#if KOKKOS_VERSION < 40000
#define WEFT_DETAIL_VOLATILE_JOIN(ValueType)                                                   \
  KOKKOS_INLINE_FUNCTION void join(volatile ValueType& dst, const volatile ValueType& src)     \
      const {                                                                                  \
    join(const_cast<ValueType&>(dst), const_cast<const ValueType&>(src));                      \
  }
#else
#define WEFT_DETAIL_VOLATILE_JOIN(ValueType)
#endif

namespace weft::detail {

/// Identity element of Op on T, where weft knows one. Primary: none known.
template <class Op, class T>
struct op_identity {};

template <class U, class T>
  requires std::is_arithmetic_v<T>
struct op_identity<plus<U>, T> {
  KOKKOS_INLINE_FUNCTION static constexpr T value() { return T(0); }
};

template <class U, class T>
  requires std::is_arithmetic_v<T>
struct op_identity<reproducible_plus<U>, T> {
  KOKKOS_INLINE_FUNCTION static constexpr T value() { return T(0); }
};

template <class U, class T>
  requires std::is_arithmetic_v<T>
struct op_identity<multiplies<U>, T> {
  KOKKOS_INLINE_FUNCTION static constexpr T value() { return T(1); }
};

// The limits are computed on the host into constexpr constants, whose values
// device code may use; std::numeric_limits' functions are host functions.
template <class U, class T>
  requires std::is_arithmetic_v<T>
struct op_identity<minimum<U>, T> {
  static constexpr T largest =
      std::numeric_limits<T>::has_infinity ? std::numeric_limits<T>::infinity() : std::numeric_limits<T>::max();
  KOKKOS_INLINE_FUNCTION static constexpr T value() { return largest; }
};

template <class U, class T>
  requires std::is_arithmetic_v<T>
struct op_identity<maximum<U>, T> {
  static constexpr T smallest =
      std::numeric_limits<T>::has_infinity ? -std::numeric_limits<T>::infinity() : std::numeric_limits<T>::lowest();
  KOKKOS_INLINE_FUNCTION static constexpr T value() { return smallest; }
};

template <class U, class T>
  requires std::is_arithmetic_v<T>
struct op_identity<logical_and<U>, T> {
  KOKKOS_INLINE_FUNCTION static constexpr T value() { return T(true); }
};

template <class U, class T>
  requires std::is_arithmetic_v<T>
struct op_identity<logical_or<U>, T> {
  KOKKOS_INLINE_FUNCTION static constexpr T value() { return T(false); }
};

template <class U, class T>
  requires std::is_integral_v<T>
struct op_identity<bit_and<U>, T> {
  KOKKOS_INLINE_FUNCTION static constexpr T value() { return static_cast<T>(~T(0)); }
};

template <class U, class T>
  requires std::is_integral_v<T>
struct op_identity<bit_or<U>, T> {
  KOKKOS_INLINE_FUNCTION static constexpr T value() { return T(0); }
};

template <class U, class T>
  requires std::is_integral_v<T>
struct op_identity<bit_xor<U>, T> {
  KOKKOS_INLINE_FUNCTION static constexpr T value() { return T(0); }
};

template <class Op, class T>
concept has_identity = requires { op_identity<std::remove_cvref_t<Op>, T>::value(); };

/// A fold value that may still be empty: what identity-free folds carry.
template <class T>
struct optional_value {
  T value;
  bool valid;
};

/// Folds with a known identity: the accumulator is a plain T.
template <class T, class Op>
struct identity_fold {
  using value_type = T;
  using element_type = T;
  // Partials from the identity may be folded separately and joined later:
  // host loops fold in lanes (fold_run).
  static constexpr bool has_lanes = true;
  Op op;

  KOKKOS_INLINE_FUNCTION void init(value_type& acc) const {
    acc = op_identity<Op, T>::value();
  }
  KOKKOS_INLINE_FUNCTION void add(value_type& acc, const T& x) const { acc = op(acc, x); }
  KOKKOS_INLINE_FUNCTION void join(value_type& dst, const value_type& src) const {
    dst = op(dst, src);
  }
  KOKKOS_INLINE_FUNCTION static bool empty(const value_type&) { return false; }
  KOKKOS_INLINE_FUNCTION static const T& get(const value_type& acc) { return acc; }
  /// The accumulator holding v, or the identity when v is empty.
  static value_type from(const optional_value<T>& v) { return v.valid ? v.value : op_identity<Op, T>::value(); }
};

/// Folds with no identity: the accumulator remembers whether it holds a value.
template <class T, class Op>
struct optional_fold {
  using value_type = optional_value<T>;
  using element_type = T;
  static constexpr bool has_lanes = false;
  Op op;

  KOKKOS_INLINE_FUNCTION void init(value_type& acc) const { acc.valid = false; }
  KOKKOS_INLINE_FUNCTION void add(value_type& acc, const T& x) const {
    if (acc.valid) {
      acc.value = op(acc.value, x);
    } else {
      acc.value = x;
      acc.valid = true;
    }
  }
  // Order matters for scans: dst holds the earlier part of the sequence.
  KOKKOS_INLINE_FUNCTION void join(value_type& dst, const value_type& src) const {
    if (!src.valid) return;
    if (dst.valid) {
      dst.value = op(dst.value, src.value);
    } else {
      dst = src;
    }
  }
  KOKKOS_INLINE_FUNCTION static bool empty(const value_type& acc) { return !acc.valid; }
  KOKKOS_INLINE_FUNCTION static const T& get(const value_type& acc) { return acc.value; }
  static value_type from(const optional_value<T>& v) { return v; }
};

/// The cheapest correct fold of Op over T.
template <class T, class Op>
using fold_for = std::conditional_t<has_identity<Op, T>, identity_fold<T, Op>, optional_fold<T, Op>>;

}  // namespace weft::detail
