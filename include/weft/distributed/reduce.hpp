// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
#pragma once
// The reduction family on distributed vectors: reduce, transform_reduce,
// min_loc, max_loc. Each rank folds its block on the device, then weft's
// ordered fold (detail/collectives.hpp) combines the ranks' partial results
// in rank order, with a bracketing fixed by the rank count: the result is
// identical on every rank, from run to run, and independent of how MPI
// combines messages; O(log P) messages per rank. Collective and blocking.
// With weft::reproducible_plus on float or double, each rank's exact
// accumulator is gathered instead, and the result is the same bits for any
// rank count and partition too (see weft/reproducible.hpp).

#include "../detail/config.hpp"  // first: the C++20 check

#include "../detail/device_function.hpp"
#include "../detail/profiling.hpp"
#include "../reduce.hpp"
#include "detail/collectives.hpp"
#include "detail/mpi.hpp"
#include "for_each.hpp"
#include "vector.hpp"

#include <array>
#include <climits>
#include <cstdint>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

namespace weft {

namespace detail {
/// Joins two exact accumulators (any order gives the same bits).
struct repro_join_op {
  repro_sum operator()(repro_sum a, const repro_sum& b) const {
    repro_join(a, b);
    return a;
  }
};

/// all_fold for reproducible sums: `local` returns this rank's accumulator.
template <class T, class Local>
T all_fold_reproducible(const communicator& comm, const T& init, const char* algorithm, std::int64_t global_count,
                        Local local) {
  check_repro_count(algorithm, global_count);  // layouts are agreed: throws on every rank or none
  collective_check check(algorithm);
  optional_value<repro_sum> mine{repro_empty(), true};
  check.attempt([&] { mine.value = local(); });
  const repro_sum start = repro_of(static_cast<double>(init));
  record_init(check, optional_value<repro_sum>{start, true});
  repro_sum total = start;
  const auto parts = ordered_all_fold(comm, check, mine, repro_join_op{}, algorithm);
  if (parts.valid) repro_join(total, parts.value);
  return static_cast<T>(repro_value(total));
}

/// Folds this rank's part with `local` (which returns an optional_value<T>)
/// and combines every rank's part in rank order, on every rank, with weft's
/// ordered fold (detail/collectives.hpp: the same bits everywhere, O(log P)
/// messages). An exception from `local` (a user's function on the Serial
/// backend, say) and an init that differs between ranks throw on every
/// rank: the fold's own messages settle both.
template <class T, class Op, class Local>
T all_fold(const communicator& comm, const T& init, Op op, const char* algorithm, Local local) {
  collective_check check(algorithm);
  optional_value<T> mine{T{}, false};
  check.attempt([&] { mine = local(); });
  record_init(check, optional_value<T>{init, true});
  const optional_value<T> total = ordered_all_fold(comm, check, mine, op, algorithm);
  return total.valid ? T(op(init, total.value)) : init;
}

/// The fold of map(0 .. n-1) on this rank's part, combined over all ranks
/// as all_fold does; with reproducible_plus on float or double, every
/// rank's accumulator is gathered instead and joined (exactly, so the
/// order does not matter), and init is one more value.
template <class T, class Exec, class Op, class Map>
T all_fold_range(const communicator& comm, const Exec& exec, const T& init, Op op, const char* algorithm,
                 std::int64_t global_count, std::int64_t n, Map map) {
  if constexpr (reproducible_fold<Op, T>) {
    return all_fold_reproducible(comm, init, algorithm, global_count,
                                 [&] { return repro_fold_range(exec, algorithm, n, map); });
  } else {
    return all_fold(comm, init, op, algorithm, [&] { return fold_partial<T>(exec, algorithm, n, op, map); });
  }
}

/// Rank r's best element as an optional value (valid when r has one).
template <class Partial>
optional_value<Partial> as_optional(const Partial& p) {
  return {p, p.index >= 0};
}

/// The best of every rank's best element, by `better`, on every rank.
template <class Partial, class Better>
Partial all_best(const communicator& comm, const Partial& mine_or_empty, collective_check& check, Better better,
                 const char* algorithm) {
  auto pick = [&](const Partial& a, const Partial& b) { return better(b.value, b.index, a) ? b : a; };
  const auto best = ordered_all_fold(comm, check, as_optional(mine_or_empty), pick, algorithm);
  Partial result = mine_or_empty;
  result.index = -1;
  return best.valid ? best.value : result;
}

template <bool Largest, class Exec, class X>
loc<typename X::value_type> all_extremum(const Exec& exec, const X& x, const char* algorithm) {
  require(x.global_size() > 0, algorithm, ": empty input (0 elements) has no ", Largest ? "maximum" : "minimum");
  auto local = x.local();
  using functor_type = extremum_functor<decltype(local), Largest>;
  collective_check check(algorithm);
  typename functor_type::value_type mine;
  mine.index = -1;
  check.attempt([&] {
    mine = extremum_partial<Largest>(exec, local, algorithm);
    if (mine.index >= 0) mine.index += x.offset();
  });
  // Same rule as within a rank: the better value, the smaller index on ties.
  const auto best = all_best(x.comm(), mine, check, functor_type::better, algorithm);
  return loc<typename X::value_type>{best.value, best.index};
}
}  // namespace detail

/// Element-wise reduction of a view across the ranks, in place: afterwards
/// v(i) is op(v_0(i), v_1(i), ..., v_{P-1}(i)) on every rank, v_r being
/// rank r's view before the call, folded in rank order: the same bits on
/// every rank and in every run, and op need not commute (only associate).
/// What a data-parallel training step does with each rank's gradient.
/// Rabenseifner's scheme (a reduce-scatter, then an all-gather) with a
/// bracketing weft fixes: 2 log2 P + 2 messages per rank and about twice
/// the view's bytes received, at any rank count; and two small allreduces,
/// one before that settles the extent (which must be the same on every
/// rank, at most INT_MAX) and the host buffers, one after that settles an
/// exception from op. op runs on the host: a view in device memory, or a
/// strided one, goes through a host copy. Collective.
///   weft::all_reduce(comm, gradient);  // weft::plus, element by element
template <rank1_view View, class Op = plus<>>
void all_reduce(const communicator& comm, const View& v, Op op = {}) {
  const detail::profiling_region region("weft::all_reduce");
  using T = typename View::non_const_value_type;
  static_assert(!std::is_const_v<typename View::value_type>,
                "weft::all_reduce: the view is written; it must not be const");
  const char* algorithm = "weft::all_reduce";
  const auto n = static_cast<std::int64_t>(v.extent(0));
  detail::collective_check check(algorithm);
  check.same("the extent", n);
  check.require(n <= INT_MAX, algorithm, ": ", n, " elements are more than MPI's int counts (", INT_MAX, ")");
  constexpr bool on_host = Kokkos::SpaceAccessibility<Kokkos::HostSpace, typename View::memory_space>::accessible;
  std::optional<Kokkos::View<T*, Kokkos::HostSpace>> copy;  // where op cannot work on v itself
  check.attempt([&] {
    if (!on_host || !v.span_is_contiguous()) {
      copy.emplace(Kokkos::view_alloc(Kokkos::WithoutInitializing, std::string("weft::all_reduce")),
                   static_cast<std::size_t>(n));
      Kokkos::deep_copy(*copy, v);
    }
  });
  check.settle(comm);
  Kokkos::fence();
  std::string failed;
  detail::ordered_all_reduce_elements(comm, copy ? copy->data() : v.data(), n, op, failed, algorithm);
  if constexpr (!std::is_nothrow_invocable_v<Op&, const T&, const T&>) {  // weft's own operations cannot throw
    detail::collective_check after(algorithm);
    after.require(failed.empty(), failed);
    after.settle(comm);
  }
  if (copy) Kokkos::deep_copy(v, *copy);
}

/// init op f(x_0) op ... op f(x_{n-1}) over all ranks; the same on every rank.
template <execution_space Exec, distributed_1d X, class T, class ReduceOp, class UnaryOp>
T transform_reduce(const Exec& exec, const X& x, T init, ReduceOp reduce_op, UnaryOp unary_op) {
  const detail::profiling_region region("weft::transform_reduce");
  detail::static_check_device_callable<Exec, ReduceOp, UnaryOp>();
  auto local = x.local();
  detail::static_check_accumulator<T,
                                   std::invoke_result_t<const UnaryOp&, detail::const_reference_t<decltype(local)>>>();
  return detail::all_fold_range(x.comm(), exec, init, reduce_op, "weft::transform_reduce", x.global_size(),
                                x.local_size(), detail::unary_map<decltype(local), UnaryOp>{local, unary_op});
}
template <distributed_1d X, class T, class ReduceOp, class UnaryOp>
T transform_reduce(const X& x, T init, ReduceOp reduce_op, UnaryOp unary_op) {
  return weft::transform_reduce(detail::dist_exec_t<X>{}, x, init, reduce_op, unary_op);
}

/// init op f(a_0, b_0) op ...: with plus and multiplies, the distributed dot
/// product. a and b must be partitioned alike.
///   double dot = weft::transform_reduce(a, b, 0.0, weft::plus{}, weft::multiplies{});
template <execution_space Exec, distributed_1d A, distributed_1d B, class T, class ReduceOp, class BinaryOp>
T transform_reduce(const Exec& exec, const A& a, const B& b, T init, ReduceOp reduce_op, BinaryOp binary_op) {
  const detail::profiling_region region("weft::transform_reduce");
  detail::static_check_device_callable<Exec, ReduceOp, BinaryOp>();
  detail::require_same_layout("weft::transform_reduce", a, b);
  auto la = a.local();
  auto lb = b.local();
  detail::static_check_accumulator<T, std::invoke_result_t<const BinaryOp&, detail::const_reference_t<decltype(la)>,
                                                           detail::const_reference_t<decltype(lb)>>>();
  return detail::all_fold_range(a.comm(), exec, init, reduce_op, "weft::transform_reduce", a.global_size(),
                                a.local_size(),
                                detail::binary_map<decltype(la), decltype(lb), BinaryOp>{la, lb, binary_op});
}
template <distributed_1d A, distributed_1d B, class T, class ReduceOp, class BinaryOp>
T transform_reduce(const A& a, const B& b, T init, ReduceOp reduce_op, BinaryOp binary_op) {
  return weft::transform_reduce(detail::dist_exec_t<A>{}, a, b, init, reduce_op, binary_op);
}

/// init op x_0 op ... op x_{n-1} over all ranks; the same on every rank.
template <execution_space Exec, distributed_1d X, class T, class Op>
T reduce(const Exec& exec, const X& x, T init, Op op) {
  const detail::profiling_region region("weft::reduce");
  detail::static_check_device_callable<Exec, Op>();
  auto local = x.local();
  detail::static_check_accumulator<T, typename X::value_type>();
  return detail::all_fold_range(x.comm(), exec, init, op, "weft::reduce", x.global_size(), x.local_size(),
                                detail::element_map<decltype(local)>{local});
}
template <distributed_1d X, class T, class Op>
T reduce(const X& x, T init, Op op) {
  return weft::reduce(detail::dist_exec_t<X>{}, x, init, op);
}
template <execution_space Exec, distributed_1d X, class T>
T reduce(const Exec& exec, const X& x, T init) {
  return weft::reduce(exec, x, init, plus<>{});
}
template <distributed_1d X, class T>
T reduce(const X& x, T init) {
  return weft::reduce(detail::dist_exec_t<X>{}, x, init, plus<>{});
}
/// The global sum.
template <execution_space Exec, distributed_1d X>
typename X::value_type reduce(const Exec& exec, const X& x) {
  return weft::reduce(exec, x, typename X::value_type{}, plus<>{});
}
template <distributed_1d X>
typename X::value_type reduce(const X& x) {
  return weft::reduce(detail::dist_exec_t<X>{}, x);
}

/// The smallest element and its global index (smallest index on ties), on
/// every rank. Throws weft::error, on every rank, for an empty vector.
template <execution_space Exec, distributed_1d X>
loc<typename X::value_type> min_loc(const Exec& exec, const X& x) {
  const detail::profiling_region region("weft::min_loc");
  return detail::all_extremum<false>(exec, x, "weft::min_loc");
}
template <distributed_1d X>
loc<typename X::value_type> min_loc(const X& x) {
  return weft::min_loc(detail::dist_exec_t<X>{}, x);
}

/// The largest element and its global index (smallest index on ties).
template <execution_space Exec, distributed_1d X>
loc<typename X::value_type> max_loc(const Exec& exec, const X& x) {
  const detail::profiling_region region("weft::max_loc");
  return detail::all_extremum<true>(exec, x, "weft::max_loc");
}
template <distributed_1d X>
loc<typename X::value_type> max_loc(const X& x) {
  return weft::max_loc(detail::dist_exec_t<X>{}, x);
}

// ---- On distributed grids ----

/// A value and its global multi-index: what min_loc and max_loc return on
/// grids (weft::loc of rank 2 or 3, as for 2-D and 3-D views).
template <class T, int Rank>
using grid_loc = loc<T, Rank>;

namespace detail {
template <class T, class Exec, class G, class Op, class Map>
T grid_fold(const Exec& exec, const G& g, const T& init, Op op, Map map, const char* algorithm) {
  if constexpr (reproducible_fold<Op, T>) {
    std::array<std::int64_t, G::rank> extents{};
    for (int d = 0; d < G::rank; ++d) extents[static_cast<std::size_t>(d)] = g.global_extent(d);
    return all_fold_reproducible(g.comm(), init, algorithm, saturated_product(extents), [&] {
      return repro_fold_box<Exec, G::rank>(exec, algorithm, extents_of(g.local()), map);
    });
  } else {
    return all_fold(g.comm(), init, op, algorithm, [&] {
      const auto in = g.local();
      return fold_partial_md<T, Exec, G::rank>(exec, algorithm, extents_of(in), first_dimension_fastest(in), op, map);
    });
  }
}

template <bool Largest, class Exec, class G>
grid_loc<typename G::value_type, G::rank> grid_extremum(const Exec& exec, const G& g, const char* algorithm) {
  constexpr int R = G::rank;
  auto in = g.local();
  using functor_type = md_extremum_functor<decltype(in), Largest, R>;
  const point<R> global = global_extents(g);
  require(points_in<R>(global) > 0, algorithm, ": empty grid (0 points) has no ", Largest ? "maximum" : "minimum");
  collective_check check(algorithm);
  typename functor_type::value_type mine;
  mine.index = -1;
  check.attempt([&] { mine = extremum_partial_md<Largest>(exec, in, algorithm, block_offsets(g), global); });
  const auto best = all_best(g.comm(), mine, check, functor_type::better, algorithm);
  grid_loc<typename G::value_type, R> result{best.value, {}};
  std::int64_t rest = best.index;
  for (int d = R - 1; d >= 0; --d) {
    result.index[static_cast<std::size_t>(d)] = rest % global[d];
    rest /= global[d];
  }
  return result;
}
}  // namespace detail

/// init op f(v) over every point of the grid; the same on every rank.
template <execution_space Exec, grid G, class T, class ReduceOp, class UnaryOp>
T transform_reduce(const Exec& exec, const G& g, T init, ReduceOp reduce_op, UnaryOp unary_op) {
  const detail::profiling_region region("weft::transform_reduce");
  detail::static_check_device_callable<Exec, ReduceOp, UnaryOp>();
  auto in = g.local();
  detail::static_check_accumulator<T, std::invoke_result_t<const UnaryOp&, detail::const_reference_t<decltype(in)>>>();
  return detail::grid_fold<T>(exec, g, init, reduce_op, detail::md_unary_map<decltype(in), UnaryOp>{in, unary_op},
                              "weft::transform_reduce");
}
template <grid G, class T, class ReduceOp, class UnaryOp>
T transform_reduce(const G& g, T init, ReduceOp reduce_op, UnaryOp unary_op) {
  return weft::transform_reduce(detail::dist_exec_t<G>{}, g, init, reduce_op, unary_op);
}

/// init op f(a, b) over every point; a and b laid out alike.
template <execution_space Exec, grid A, grid B, class T, class ReduceOp, class BinaryOp>
T transform_reduce(const Exec& exec, const A& a, const B& b, T init, ReduceOp reduce_op, BinaryOp binary_op) {
  const detail::profiling_region region("weft::transform_reduce");
  detail::static_check_device_callable<Exec, ReduceOp, BinaryOp>();
  detail::require_same_layout("weft::transform_reduce", a, b);
  auto ia = a.local();
  auto ib = b.local();
  detail::static_check_accumulator<T, std::invoke_result_t<const BinaryOp&, detail::const_reference_t<decltype(ia)>,
                                                           detail::const_reference_t<decltype(ib)>>>();
  return detail::grid_fold<T>(exec, a, init, reduce_op,
                              detail::md_binary_map<decltype(ia), decltype(ib), BinaryOp>{ia, ib, binary_op},
                              "weft::transform_reduce");
}
template <grid A, grid B, class T, class ReduceOp, class BinaryOp>
T transform_reduce(const A& a, const B& b, T init, ReduceOp reduce_op, BinaryOp binary_op) {
  return weft::transform_reduce(detail::dist_exec_t<A>{}, a, b, init, reduce_op, binary_op);
}

/// init op every point; the same on every rank.
template <execution_space Exec, grid G, class T, class Op>
T reduce(const Exec& exec, const G& g, T init, Op op) {
  const detail::profiling_region region("weft::reduce");
  detail::static_check_device_callable<Exec, Op>();
  auto in = g.local();
  detail::static_check_accumulator<T, typename G::value_type>();
  return detail::grid_fold<T>(exec, g, init, op, detail::md_element_map<decltype(in)>{in}, "weft::reduce");
}
template <grid G, class T, class Op>
T reduce(const G& g, T init, Op op) {
  return weft::reduce(detail::dist_exec_t<G>{}, g, init, op);
}
template <execution_space Exec, grid G, class T>
T reduce(const Exec& exec, const G& g, T init) {
  return weft::reduce(exec, g, init, plus<>{});
}
template <grid G, class T>
T reduce(const G& g, T init) {
  return weft::reduce(detail::dist_exec_t<G>{}, g, init, plus<>{});
}
/// The sum over the whole grid.
template <execution_space Exec, grid G>
typename G::value_type reduce(const Exec& exec, const G& g) {
  return weft::reduce(exec, g, typename G::value_type{}, plus<>{});
}
template <grid G>
typename G::value_type reduce(const G& g) {
  return weft::reduce(detail::dist_exec_t<G>{}, g);
}

/// The smallest point and its global multi-index (the first in row-major
/// order on ties), on every rank. Throws on every rank for an empty grid.
template <execution_space Exec, grid G>
grid_loc<typename G::value_type, G::rank> min_loc(const Exec& exec, const G& g) {
  const detail::profiling_region region("weft::min_loc");
  return detail::grid_extremum<false>(exec, g, "weft::min_loc");
}
template <grid G>
grid_loc<typename G::value_type, G::rank> min_loc(const G& g) {
  return weft::min_loc(detail::dist_exec_t<G>{}, g);
}

/// The largest point and its global multi-index (the first on ties).
template <execution_space Exec, grid G>
grid_loc<typename G::value_type, G::rank> max_loc(const Exec& exec, const G& g) {
  const detail::profiling_region region("weft::max_loc");
  return detail::grid_extremum<true>(exec, g, "weft::max_loc");
}
template <grid G>
grid_loc<typename G::value_type, G::rank> max_loc(const G& g) {
  return weft::max_loc(detail::dist_exec_t<G>{}, g);
}

}  // namespace weft
