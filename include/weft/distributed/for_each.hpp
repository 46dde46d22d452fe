#pragma once
// The map family on distributed vectors: for_each, for_each_index,
// transform, fill, copy, iota. Purely local work on each rank's block: no
// messages, no blocking; enqueued on the given instance.

#include "../for_each.hpp"
#include "vector.hpp"

#include <Kokkos_Core.hpp>

#include <cstdint>

namespace weft {

namespace detail {
template <class X>
using dist_exec_t = typename std::remove_cvref_t<X>::execution_space;

template <class A, class B>
void require_same_partition(const char* algorithm, const A& a, const B& b) {
  require(a.partition() == b.partition(), algorithm, ": vectors are partitioned differently (global sizes ",
          a.global_size(), " and ", b.global_size(), ", local sizes ", a.local_size(), " and ", b.local_size(),
          " on rank ", a.comm().rank(), "); use weft::redistribute first");
}

template <class View, class F>
struct for_each_index_functor {
  View v;
  F f;
  std::int64_t offset;
  KOKKOS_INLINE_FUNCTION void operator()(std::int64_t i) const { f(offset + i, v(i)); }
};

template <class View, class T>
struct global_iota_functor {
  View v;
  T start;
  std::int64_t offset;
  KOKKOS_INLINE_FUNCTION void operator()(std::int64_t i) const { v(i) = start + static_cast<T>(offset + i); }
};
}  // namespace detail

/// f(x_i) for every owned element, in place.
template <execution_space Exec, distributed X, class F>
void for_each(const Exec& exec, const X& x, F f) {
  weft::for_each(exec, x.local(), f);
}
template <distributed X, class F>
void for_each(const X& x, F f) {
  weft::for_each(detail::dist_exec_t<X>{}, x, f);
}

/// f(global_index, x_i) for every owned element.
///   weft::for_each_index(x, KOKKOS_LAMBDA(std::int64_t i, double& v) { v = std::sin(h * i); });
template <execution_space Exec, distributed X, class F>
void for_each_index(const Exec& exec, const X& x, F f) {
  auto local = x.local();
  detail::static_check_accessible<Exec, decltype(local)>();
  Kokkos::parallel_for("weft::for_each_index", detail::range(exec, x.local_size()),
                       detail::for_each_index_functor<decltype(local), F>{local, f, x.offset()});
}
template <distributed X, class F>
void for_each_index(const X& x, F f) {
  weft::for_each_index(detail::dist_exec_t<X>{}, x, f);
}

/// out_i = f(in_i); the vectors must be partitioned alike.
template <execution_space Exec, distributed In, distributed Out, class F>
void transform(const Exec& exec, const In& in, const Out& out, F f) {
  detail::require_same_partition("weft::transform", in, out);
  weft::transform(exec, in.local(), out.local(), f);
}
template <distributed In, distributed Out, class F>
void transform(const In& in, const Out& out, F f) {
  weft::transform(detail::dist_exec_t<Out>{}, in, out, f);
}

/// out_i = f(in1_i, in2_i); all three partitioned alike.
template <execution_space Exec, distributed In1, distributed In2, distributed Out, class F>
void transform(const Exec& exec, const In1& in1, const In2& in2, const Out& out, F f) {
  detail::require_same_partition("weft::transform", in1, out);
  detail::require_same_partition("weft::transform", in2, out);
  weft::transform(exec, in1.local(), in2.local(), out.local(), f);
}
template <distributed In1, distributed In2, distributed Out, class F>
void transform(const In1& in1, const In2& in2, const Out& out, F f) {
  weft::transform(detail::dist_exec_t<Out>{}, in1, in2, out, f);
}

/// x_i = value for every element.
template <execution_space Exec, distributed X, class T>
void fill(const Exec& exec, const X& x, const T& value) {
  weft::fill(exec, x.local(), value);
}
template <distributed X, class T>
void fill(const X& x, const T& value) {
  weft::fill(detail::dist_exec_t<X>{}, x, value);
}

/// dst_i = src_i; partitioned alike.
template <execution_space Exec, distributed Src, distributed Dst>
void copy(const Exec& exec, const Src& src, const Dst& dst) {
  detail::require_same_partition("weft::copy", src, dst);
  weft::copy(exec, src.local(), dst.local());
}
template <distributed Src, distributed Dst>
void copy(const Src& src, const Dst& dst) {
  weft::copy(detail::dist_exec_t<Dst>{}, src, dst);
}

/// x_i = start + i, i the global index.
template <execution_space Exec, distributed X, class T>
void iota(const Exec& exec, const X& x, const T& start) {
  using value_type = typename std::remove_cvref_t<X>::value_type;
  auto local = x.local();
  Kokkos::parallel_for("weft::iota", detail::range(exec, x.local_size()),
                       detail::global_iota_functor<decltype(local), value_type>{local, static_cast<value_type>(start),
                                                                                x.offset()});
}
template <distributed X, class T>
void iota(const X& x, const T& start) {
  weft::iota(detail::dist_exec_t<X>{}, x, start);
}

}  // namespace weft
