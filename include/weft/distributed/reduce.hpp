#pragma once
// The reduction family on distributed vectors: reduce, transform_reduce,
// min_loc, max_loc. Each rank folds its block on the device, then one
// MPI_Allgather brings every rank's partial result to every rank, which
// folds them in rank order: the result is identical on every rank and
// independent of how MPI combines messages. Collective and blocking.

#include "../reduce.hpp"
#include "detail/mpi.hpp"
#include "for_each.hpp"
#include "vector.hpp"

#include <cstdint>
#include <vector>

namespace weft {

namespace detail {
/// Combines each rank's local partial fold into the global one, on every rank.
template <class T, class Op>
T all_fold(const communicator& comm, const optional_value<T>& mine, const T& init, Op op, const char* algorithm) {
  const auto parts = all_gather_value(comm, mine, algorithm);
  const optional_value<T> total = fold_in_rank_order(parts, op, comm.size());
  return total.valid ? T(op(init, total.value)) : init;
}

template <bool Largest, class Exec, class X>
loc<typename X::value_type> all_extremum(const Exec& exec, const X& x, const char* algorithm) {
  using T = typename X::value_type;
  require(x.global_size() > 0, algorithm, ": empty input (0 elements) has no ", Largest ? "maximum" : "minimum");
  auto local = x.local();
  auto mine = extremum_partial<Largest>(exec, local, algorithm);
  if (mine.index >= 0) mine.index += x.offset();
  const auto parts = all_gather_value(x.comm(), mine, algorithm);
  // Same rule as within a rank: the better value, the smaller index on ties.
  auto best = parts[0];
  for (const auto& p : parts)
    if (p.index >= 0 && extremum_functor<decltype(local), Largest>::better(p.value, p.index, best)) best = p;
  return loc<T>{best.value, best.index};
}
}  // namespace detail

/// init op f(x_0) op ... op f(x_{n-1}) over all ranks; the same on every rank.
template <execution_space Exec, distributed X, class T, class ReduceOp, class UnaryOp>
T transform_reduce(const Exec& exec, const X& x, T init, ReduceOp reduce_op, UnaryOp unary_op) {
  auto local = x.local();
  const auto mine = detail::fold_partial<T>(exec, "weft::transform_reduce", x.local_size(), reduce_op,
                                            detail::unary_map<decltype(local), UnaryOp>{local, unary_op});
  return detail::all_fold(x.comm(), mine, init, reduce_op, "weft::transform_reduce");
}
template <distributed X, class T, class ReduceOp, class UnaryOp>
T transform_reduce(const X& x, T init, ReduceOp reduce_op, UnaryOp unary_op) {
  return weft::transform_reduce(detail::dist_exec_t<X>{}, x, init, reduce_op, unary_op);
}

/// init op f(a_0, b_0) op ...: with plus and multiplies, the distributed dot
/// product. a and b must be partitioned alike.
///   double dot = weft::transform_reduce(a, b, 0.0, weft::plus{}, weft::multiplies{});
template <execution_space Exec, distributed A, distributed B, class T, class ReduceOp, class BinaryOp>
T transform_reduce(const Exec& exec, const A& a, const B& b, T init, ReduceOp reduce_op, BinaryOp binary_op) {
  detail::require_same_partition("weft::transform_reduce", a, b);
  auto la = a.local();
  auto lb = b.local();
  const auto mine =
      detail::fold_partial<T>(exec, "weft::transform_reduce", a.local_size(), reduce_op,
                              detail::binary_map<decltype(la), decltype(lb), BinaryOp>{la, lb, binary_op});
  return detail::all_fold(a.comm(), mine, init, reduce_op, "weft::transform_reduce");
}
template <distributed A, distributed B, class T, class ReduceOp, class BinaryOp>
T transform_reduce(const A& a, const B& b, T init, ReduceOp reduce_op, BinaryOp binary_op) {
  return weft::transform_reduce(detail::dist_exec_t<A>{}, a, b, init, reduce_op, binary_op);
}

/// init op x_0 op ... op x_{n-1} over all ranks; the same on every rank.
template <execution_space Exec, distributed X, class T, class Op>
T reduce(const Exec& exec, const X& x, T init, Op op) {
  auto local = x.local();
  const auto mine = detail::fold_partial<T>(exec, "weft::reduce", x.local_size(), op,
                                            detail::element_map<decltype(local)>{local});
  return detail::all_fold(x.comm(), mine, init, op, "weft::reduce");
}
template <distributed X, class T, class Op>
T reduce(const X& x, T init, Op op) {
  return weft::reduce(detail::dist_exec_t<X>{}, x, init, op);
}
template <execution_space Exec, distributed X, class T>
T reduce(const Exec& exec, const X& x, T init) {
  return weft::reduce(exec, x, init, plus<>{});
}
template <distributed X, class T>
T reduce(const X& x, T init) {
  return weft::reduce(detail::dist_exec_t<X>{}, x, init, plus<>{});
}
/// The global sum.
template <execution_space Exec, distributed X>
typename X::value_type reduce(const Exec& exec, const X& x) {
  return weft::reduce(exec, x, typename X::value_type{}, plus<>{});
}
template <distributed X>
typename X::value_type reduce(const X& x) {
  return weft::reduce(detail::dist_exec_t<X>{}, x);
}

/// The smallest element and its global index (smallest index on ties), on
/// every rank. Throws weft::error, on every rank, for an empty vector.
template <execution_space Exec, distributed X>
loc<typename X::value_type> min_loc(const Exec& exec, const X& x) {
  return detail::all_extremum<false>(exec, x, "weft::min_loc");
}
template <distributed X>
loc<typename X::value_type> min_loc(const X& x) {
  return weft::min_loc(detail::dist_exec_t<X>{}, x);
}

/// The largest element and its global index (smallest index on ties).
template <execution_space Exec, distributed X>
loc<typename X::value_type> max_loc(const Exec& exec, const X& x) {
  return detail::all_extremum<true>(exec, x, "weft::max_loc");
}
template <distributed X>
loc<typename X::value_type> max_loc(const X& x) {
  return weft::max_loc(detail::dist_exec_t<X>{}, x);
}

}  // namespace weft
