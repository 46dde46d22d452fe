// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
#pragma once
// The map family on distributed vectors: for_each, for_each_index,
// transform, fill, copy, iota. Purely local work on each rank's block: no
// messages, no blocking; enqueued on the given instance.

#include "../detail/config.hpp"  // first: the C++20 check

#include "../detail/device_function.hpp"
#include "../for_each.hpp"
#include "grid.hpp"
#include "vector.hpp"

#include <Kokkos_Core.hpp>

#include <array>
#include <cstdint>
#include <string>

namespace weft {

namespace detail {
template <class X>
using dist_exec_t = typename std::remove_cvref_t<X>::execution_space;

/// Both objects live on communicators that order their ranks alike, so
/// that rank r's block of one meets rank r's block of the other. (Layouts
/// are agreed exactly when objects are built, so this and the checks below
/// come out the same on every rank and can throw without communication.)
template <class A, class B>
void require_same_ranks(const char* algorithm, const A& a, const B& b) {
  require(congruent(a.comm(), b.comm()), algorithm,
          ": the two objects live on communicators that hold different ranks, or order them differently; "
          "build both from one weft::communicator");
}

template <std::size_t R>
std::string array_text(const std::array<std::int64_t, R>& e) {
  std::string s;
  for (std::size_t d = 0; d < R; ++d) s += (d ? " x " : "") + std::to_string(e[d]);
  return s;
}

/// Grids are laid out alike when they have the same global extents, process
/// grid and block boundaries (then every rank's block matches); halo widths
/// may differ.
template <class A, class B>
  requires(grid<A> && grid<B>)
void require_same_layout(const char* algorithm, const A& a, const B& b) {
  static_assert(A::rank == B::rank, "weft: grids of different ranks cannot be combined.");
  constexpr std::size_t R = A::rank;
  std::array<std::int64_t, R> na, nb, da, db;
  for (std::size_t d = 0; d < R; ++d) {
    na[d] = a.global_extent(int(d));
    nb[d] = b.global_extent(int(d));
    da[d] = a.dims()[d];
    db[d] = b.dims()[d];
  }
  require(na == nb && da == db, algorithm, ": grids are laid out differently (extents ", array_text(na), " over ",
          array_text(da), " ranks, and ", array_text(nb), " over ", array_text(db), " ranks)");
  for (std::size_t d = 0; d < R; ++d)
    require(a.split(int(d)) == b.split(int(d)), algorithm, ": grids are laid out differently (extents ",
            array_text(na), " over ", array_text(da), " ranks, but split into other blocks along dimension ", d,
            "); use weft::redistribute first");
  require_same_ranks(algorithm, a, b);
}

/// Vectors are laid out alike when their partitions are equal.
template <class A, class B>
void require_same_layout(const char* algorithm, const A& a, const B& b) {
  require(a.partition() == b.partition(), algorithm, ": vectors are partitioned differently (global sizes ",
          a.global_size(), " and ", b.global_size(), ", local sizes ", a.local_size(), " and ", b.local_size(),
          " on rank ", a.comm().rank(), "); use weft::redistribute first");
  require_same_ranks(algorithm, a, b);
}

template <class View, class T>
struct global_iota_functor {
  View v;
  T start;
  std::int64_t offset;
  KOKKOS_INLINE_FUNCTION void operator()(std::int64_t i) const { v(i) = start + static_cast<T>(offset + i); }
};
/// A grid's block offsets and global extents as the kernels take them.
template <class G>
point<G::rank> block_offsets(const G& g) {
  point<G::rank> o;
  for (int d = 0; d < G::rank; ++d) o[d] = g.offset(d);
  return o;
}
template <class G>
point<G::rank> global_extents(const G& g) {
  point<G::rank> n;
  for (int d = 0; d < G::rank; ++d) n[d] = g.global_extent(d);
  return n;
}
}  // namespace detail

/// f(x_i) for every owned element, in place.
template <execution_space Exec, distributed_1d X, class F>
void for_each(const Exec& exec, const X& x, F f) {
  weft::for_each(exec, x.local(), f);
}
template <distributed_1d X, class F>
void for_each(const X& x, F f) {
  weft::for_each(detail::dist_exec_t<X>{}, x, f);
}

/// f(global_index, x_i) for every owned element.
///   weft::for_each_index(x, KOKKOS_LAMBDA(std::int64_t i, double& v) { v = std::sin(h * i); });
template <execution_space Exec, distributed_1d X, class F>
void for_each_index(const Exec& exec, const X& x, F f) {
  detail::static_check_device_callable<Exec, F>();
  auto local = x.local();
  detail::static_check_accessible<Exec, decltype(local)>();
  Kokkos::parallel_for("weft::for_each_index", detail::range(exec, x.local_size()),
                       detail::for_each_index_functor<decltype(local), F>{local, f, x.offset()});
}
template <distributed_1d X, class F>
void for_each_index(const X& x, F f) {
  weft::for_each_index(detail::dist_exec_t<X>{}, x, f);
}

/// out_i = f(in_i); the vectors must be partitioned alike.
template <execution_space Exec, distributed_1d In, distributed_1d Out, class F>
void transform(const Exec& exec, const In& in, const Out& out, F f) {
  detail::require_same_layout("weft::transform", in, out);
  weft::transform(exec, in.local(), out.local(), f);
}
template <distributed_1d In, distributed_1d Out, class F>
void transform(const In& in, const Out& out, F f) {
  weft::transform(detail::dist_exec_t<Out>{}, in, out, f);
}

/// out_i = f(in1_i, in2_i); all three partitioned alike.
template <execution_space Exec, distributed_1d In1, distributed_1d In2, distributed_1d Out, class F>
void transform(const Exec& exec, const In1& in1, const In2& in2, const Out& out, F f) {
  detail::require_same_layout("weft::transform", in1, out);
  detail::require_same_layout("weft::transform", in2, out);
  weft::transform(exec, in1.local(), in2.local(), out.local(), f);
}
template <distributed_1d In1, distributed_1d In2, distributed_1d Out, class F>
void transform(const In1& in1, const In2& in2, const Out& out, F f) {
  weft::transform(detail::dist_exec_t<Out>{}, in1, in2, out, f);
}

/// x_i = value for every element.
template <execution_space Exec, distributed_1d X, class T>
void fill(const Exec& exec, const X& x, const T& value) {
  weft::fill(exec, x.local(), value);
}
template <distributed_1d X, class T>
void fill(const X& x, const T& value) {
  weft::fill(detail::dist_exec_t<X>{}, x, value);
}

/// dst_i = src_i; partitioned alike.
template <execution_space Exec, distributed_1d Src, distributed_1d Dst>
void copy(const Exec& exec, const Src& src, const Dst& dst) {
  detail::require_same_layout("weft::copy", src, dst);
  weft::copy(exec, src.local(), dst.local());
}
template <distributed_1d Src, distributed_1d Dst>
void copy(const Src& src, const Dst& dst) {
  weft::copy(detail::dist_exec_t<Dst>{}, src, dst);
}

/// x_i = start + i, i the global index.
template <execution_space Exec, distributed_1d X, class T>
void iota(const Exec& exec, const X& x, const T& start) {
  using value_type = typename std::remove_cvref_t<X>::value_type;
  auto local = x.local();
  Kokkos::parallel_for("weft::iota", detail::range(exec, x.local_size()),
                       detail::global_iota_functor<decltype(local), value_type>{local, static_cast<value_type>(start),
                                                                                x.offset()});
}
template <distributed_1d X, class T>
void iota(const X& x, const T& start) {
  weft::iota(detail::dist_exec_t<X>{}, x, start);
}

// ---- The same on distributed grids: each rank's block, no messages. ----

/// f(v) for every owned point of the grid, in place.
template <execution_space Exec, grid G, class F>
void for_each(const Exec& exec, const G& g, F f) {
  weft::for_each(exec, g.local(), f);
}
template <grid G, class F>
void for_each(const G& g, F f) {
  weft::for_each(detail::dist_exec_t<G>{}, g, f);
}

/// f(i, j, v) (2-D) or f(i, j, k, v) (3-D) with global indices, for every owned point.
///   weft::for_each_index(u, KOKKOS_LAMBDA(std::int64_t i, std::int64_t j, double& v) { v = i * h; });
template <execution_space Exec, grid G, class F>
void for_each_index(const Exec& exec, const G& g, F f) {
  detail::static_check_device_callable<Exec, F>();
  auto in = g.local();
  detail::static_check_accessible<Exec, decltype(in)>();
  detail::launch_over(exec, "weft::for_each_index", in,
                      detail::md_for_each_index_functor<decltype(in), F, G::rank>{in, f, detail::block_offsets(g)});
}
template <grid G, class F>
void for_each_index(const G& g, F f) {
  weft::for_each_index(detail::dist_exec_t<G>{}, g, f);
}

/// out = f(in) pointwise; grids laid out alike (halo widths may differ).
template <execution_space Exec, grid In, grid Out, class F>
void transform(const Exec& exec, const In& in, const Out& out, F f) {
  detail::require_same_layout("weft::transform", in, out);
  weft::transform(exec, in.local(), out.local(), f);
}
template <grid In, grid Out, class F>
void transform(const In& in, const Out& out, F f) {
  weft::transform(detail::dist_exec_t<Out>{}, in, out, f);
}

/// out = f(in1, in2) pointwise; grids laid out alike.
template <execution_space Exec, grid In1, grid In2, grid Out, class F>
void transform(const Exec& exec, const In1& in1, const In2& in2, const Out& out, F f) {
  detail::require_same_layout("weft::transform", in1, out);
  detail::require_same_layout("weft::transform", in2, out);
  weft::transform(exec, in1.local(), in2.local(), out.local(), f);
}
template <grid In1, grid In2, grid Out, class F>
void transform(const In1& in1, const In2& in2, const Out& out, F f) {
  weft::transform(detail::dist_exec_t<Out>{}, in1, in2, out, f);
}

/// Every owned point = value.
template <execution_space Exec, grid G, class T>
void fill(const Exec& exec, const G& g, const T& value) {
  weft::fill(exec, g.local(), value);
}
template <grid G, class T>
void fill(const G& g, const T& value) {
  weft::fill(detail::dist_exec_t<G>{}, g, value);
}

/// dst = src on every owned point; grids laid out alike.
template <execution_space Exec, grid Src, grid Dst>
void copy(const Exec& exec, const Src& src, const Dst& dst) {
  detail::require_same_layout("weft::copy", src, dst);
  weft::copy(exec, src.local(), dst.local());
}
template <grid Src, grid Dst>
void copy(const Src& src, const Dst& dst) {
  weft::copy(detail::dist_exec_t<Dst>{}, src, dst);
}

}  // namespace weft
