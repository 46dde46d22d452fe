#pragma once
// Kernel bodies of the map family (for_each.hpp).

#include <Kokkos_Core.hpp>

#include <cstdint>

namespace weft::detail {

template <class View, class F>
struct for_each_functor {
  View v;
  F f;
  KOKKOS_INLINE_FUNCTION void operator()(std::int64_t i) const { f(v(i)); }
};

template <class In, class Out, class F>
struct transform_functor {
  In in;
  Out out;
  F f;
  KOKKOS_INLINE_FUNCTION void operator()(std::int64_t i) const { out(i) = f(in(i)); }
};

template <class In1, class In2, class Out, class F>
struct transform2_functor {
  In1 in1;
  In2 in2;
  Out out;
  F f;
  KOKKOS_INLINE_FUNCTION void operator()(std::int64_t i) const { out(i) = f(in1(i), in2(i)); }
};

template <class View, class T>
struct fill_functor {
  View v;
  T value;
  KOKKOS_INLINE_FUNCTION void operator()(std::int64_t i) const { v(i) = value; }
};

template <class Src, class Dst>
struct copy_functor {
  Src src;
  Dst dst;
  KOKKOS_INLINE_FUNCTION void operator()(std::int64_t i) const { dst(i) = src(i); }
};

template <class View, class T>
struct iota_functor {
  View v;
  T start;
  KOKKOS_INLINE_FUNCTION void operator()(std::int64_t i) const { v(i) = start + static_cast<T>(i); }
};

}  // namespace weft::detail
