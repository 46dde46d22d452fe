// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
#pragma once
// What halo exchanges add to the copy engine (copy_engine.hpp), shared by
// distributed vectors and grids: each field's exchangers, one per halo
// specification it has used (the typed plans belong to the layout), the
// check of an exchange's arguments carried to the neighbours, and the
// boundary's value agreed across the ranks. Ghosts a rank supplies to
// itself (a periodic dimension it spans alone, a clamped edge) and boundary
// constants never go through MPI: one kernel writes them when the exchange
// starts, so work that reads only those ghosts can run before wait().

#include "../../detail/policy.hpp"
#include "../communicator.hpp"
#include "copy_engine.hpp"
#include "copy_plan.hpp"
#include "mpi.hpp"
#include "neighbour_agreement.hpp"

#include <Kokkos_Core.hpp>
#include <mpi.h>

#include <algorithm>
#include <array>
#include <climits>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace weft::detail {

/// A halo exchange's (or stencil's) check carried to the neighbours: the
/// agreement, and what becomes of it. conclude() throws weft::error on this
/// rank if it or a neighbour failed or they passed different arguments,
/// and leaves the failure pending, so every rank throws at its next
/// collective (pending_failure).
class neighbour_check {
 public:
  neighbour_check(const collective_check& check, const communicator& comm, const std::vector<int>& peers,
                  const char* algorithm)
      : check_(check),
        agreement_(check.words(comm, false), peers, comm.native(), algorithm),
        rank_(comm.rank()),
        algorithm_(algorithm) {}

  neighbour_agreement& agreement() { return agreement_; }

  void conclude() {
    agreement_.complete();
    if (agreement_.agreed()) return;
    std::string message = check_.verdict(agreement_.least());
    if (message.empty()) message = check_.problem();
    if (message.empty()) message = std::string(algorithm_) + ": a neighbouring rank passed other arguments";
    // Unless this rank and all its neighbours failed alike (every rank made
    // the same mistake, or there is one rank), some rank may not know yet:
    // the next collective tells every rank.
    if (!(check_.failed_here() && agreement_.every_peer_failed())) {
      pending_failure::record(message);
      throw error(message + " [found on rank " + std::to_string(rank_) +
                  " and its neighbours; every rank throws at its next collective]");
    }
    throw error(message);
  }

 private:
  collective_check check_;
  neighbour_agreement agreement_;
  int rank_;
  const char* algorithm_;
};

/// The neighbour check of a call on objects whose halo peers are known
/// (argument_checks::agreed, after a settled exchange), or nothing: the
/// call then settles its check across all ranks, as the first one does.
template <class Plans>
std::shared_ptr<neighbour_check> neighbour_check_for(const communicator& comm, const Plans& plans,
                                                     const collective_check& check, const char* algorithm) {
  if (comm.checks() != argument_checks::agreed || !plans.peers) return nullptr;
  return std::make_shared<neighbour_check>(check, comm, *plans.peers, algorithm);
}

/// The halo state of one vector or grid, shared by its copies: an exchanger
/// per halo specification it has used (buffers and requests; the plans
/// themselves belong to the layout), and whether an exchange is in flight
/// (of any kind: two at once would mix their messages).
template <class T, class MemorySpace>
struct field_halo_state {
  std::vector<std::pair<halo_spec, std::unique_ptr<copy_exchanger<T, MemorySpace>>>> exchangers;
  bool in_flight = false;
  /// The ranks this object exchanges halo messages with under any
  /// specification, known once an exchange has been settled across all
  /// ranks: later calls agree with these neighbours only
  /// (neighbour_agreement), so both sides of every pair that any
  /// specification connects hear each other even when the ranks pass
  /// different ones.
  std::optional<std::vector<int>> peers;
};

/// Records in `check` what every rank must pass alike to a halo exchange:
/// the boundary kind and, for weft::constant, its value as T, bitwise
/// (see record_same_value: every part of a complex number or an array).
template <class T, class Boundary>
void record_boundary(collective_check& check, boundary_kind kind, const Boundary& bc) {
  check.same("the boundary kind (0 periodic, 1 constant, 2 clamp)", static_cast<std::int64_t>(kind));
  if constexpr (requires { bc.value; }) record_same_value(check, "the boundary value", static_cast<T>(bc.value));
}

/// Collective, once the check above is settled (the ranks then agree on
/// the boundary kind): a weft::constant value of a type with padding bytes,
/// which record_boundary cannot compare bitwise, must equal rank 0's by
/// operator==. Nothing for other types, or with trusted argument checks.
template <class T, class Boundary>
void agree_on_boundary_value(const communicator& comm, const Boundary& bc, const char* algorithm) {
  if constexpr (requires { bc.value; }) {
    if (comm.checks() == argument_checks::agreed)
      agree_by_equality(comm, "the boundary value", static_cast<T>(bc.value), algorithm);
  }
}

}  // namespace weft::detail
