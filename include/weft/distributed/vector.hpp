// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
#pragma once
// weft::distributed_vector: a vector spread over the ranks of a communicator
// in contiguous blocks (a weft::vector_layout: a partition and a halo width),
// with ghost cells on each side and their halo exchange.

#include "../detail/config.hpp"  // first: the C++20 check

#include "../detail/profiling.hpp"
#include "../error.hpp"
#include "../stencil.hpp"
#include "communicator.hpp"
#include "detail/halo.hpp"
#include "halo.hpp"
#include "partition.hpp"
#include "vector_layout.hpp"

#include <Kokkos_Core.hpp>
#include <mpi.h>

#include <algorithm>
#include <climits>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace weft {

/// Asks a constructor to leave the owned elements uninitialised (as
/// Kokkos::WithoutInitializing does), for data about to be overwritten whole.
struct uninitialized_t {
  explicit uninitialized_t() = default;
};
inline constexpr uninitialized_t uninitialized{};

/// A rank-1 array of global size n over the ranks of a communicator: rank r
/// owns the block [partition.offset(r), + local_size(r)) and stores it, with
/// `halo_width()` ghost cells on each side, in MemorySpace. Copies share
/// the data, as Kokkos views do; weft::copy makes a deep copy.
///   weft::distributed_vector<double> x(comm, n);
///   weft::distributed_vector<double> u(comm, weft::partition::block(n, comm.size()), weft::halo{1});
template <class T, class MemorySpace = Kokkos::DefaultExecutionSpace::memory_space>
class distributed_vector {
 public:
  using value_type = T;
  using memory_space = MemorySpace;
  using storage_type = Kokkos::View<T*, MemorySpace>;
  using execution_space = typename storage_type::execution_space;
  /// What a stencil function on this vector receives, as a type that can be
  /// named (see weft::neighbourhood): `KOKKOS_LAMBDA(const X::neighbourhood<weft::periodic>& nb)`.
  template <class Boundary>
  using neighbourhood = weft::neighbourhood<storage_type, Boundary>;
  static constexpr int rank = 1;

  /// Block partition of n elements; collective.
  distributed_vector(const communicator& comm, std::int64_t n)
      : distributed_vector(comm, partition::block(n, comm.size()), halo{0}) {}

  /// The given partition (one block per rank of comm); collective.
  distributed_vector(const communicator& comm, const weft::partition& p) : distributed_vector(comm, p, halo{0}) {}

  /// The given partition with h.width ghost cells on each side; collective.
  /// The partition and halo width must be the same on every rank: they are
  /// compared exactly, with the outcome of this rank's allocation, in one
  /// MPI_Allreduce, and any difference or failure throws weft::error on
  /// every rank. (A layout of its own: vectors that should share plans
  /// are built on one weft::vector_layout.)
  distributed_vector(const communicator& comm, const weft::partition& p, halo h)
      : distributed_vector(comm, p, h, true) {}

  /// As above, but the owned elements are left uninitialised (the ghosts
  /// are zero): for a vector about to be overwritten whole (weft::redistribute
  /// makes its results so), which saves a pass over its memory.
  ///   weft::distributed_vector<double> y(comm, p, weft::halo{1}, weft::uninitialized);
  distributed_vector(const communicator& comm, const weft::partition& p, halo h, uninitialized_t)
      : distributed_vector(comm, p, h, false) {}

  /// Collective over layout.comm(): a vector on a layout built once and
  /// shared, with its halo plans; no comparison of arguments beyond whether
  /// the allocation succeeded on every rank (one MPI_Allreduce).
  ///   weft::vector_layout layout(comm, p, weft::halo{1});
  ///   weft::distributed_vector<double> u(layout), v(layout);
  explicit distributed_vector(const vector_layout& layout) : distributed_vector(layout, true) {}
  distributed_vector(const vector_layout& layout, uninitialized_t) : distributed_vector(layout, false) {}

  /// The owned elements: local()(i) is global element offset() + i.
  auto local() const {
    const std::int64_t h = halo_width();
    return Kokkos::subview(storage_, std::pair<std::int64_t, std::int64_t>(h, h + local_size()));
  }
  /// The owned elements with halo_width() ghosts on each side: element
  /// offset() + i sits at with_halo()(halo_width() + i).
  const storage_type& with_halo() const { return storage_; }
  /// The former name of with_halo().
  [[deprecated("use with_halo() (one vocabulary for vectors and grids)")]] const storage_type& local_with_ghosts()
      const {
    return storage_;
  }

  /// The layout this vector is on: vectors built on it share its plans.
  const vector_layout& layout() const { return layout_; }
  std::int64_t global_size() const { return layout_.global_size(); }
  std::int64_t local_size() const { return layout_.local_size(); }
  std::int64_t offset() const { return layout_.offset(); }
  const weft::partition& partition() const { return layout_.partition(); }
  const communicator& comm() const { return layout_.comm(); }
  int halo_width() const { return layout_.halo_width(); }
  /// The former name of halo_width().
  [[deprecated("use halo_width() (one vocabulary for vectors and grids)")]] int ghost_width() const {
    return halo_width();
  }

  /// Fills the ghosts from the neighbouring blocks (from further ranks when
  /// a neighbour owns fewer than halo_width() elements); at the two global
  /// ends, `bc` decides: weft::periodic{}, weft::constant{v} or weft::clamp{}.
  /// Collective; fences `exec` before sending, and the ghosts are ready for
  /// work enqueued on `exec` when it returns.
  template <weft::execution_space Exec, boundary Boundary>
  void exchange_halo(const Exec& exec, const Boundary& bc) const {
    const detail::profiling_region region("weft::exchange_halo");
    start_halo_exchange(exec, bc).wait();
  }
  template <boundary Boundary>
  void exchange_halo(const Boundary& bc) const {
    exchange_halo(execution_space{}, bc);
  }

  /// Split-phase exchange_halo: posts the messages and returns; h.wait()
  /// completes it. Work that does not read ghosts may run in between.
  /// Collective: every rank must pass the same boundary (checked, unless
  /// the communicator's argument_checks are trusted), and only one exchange
  /// of a vector may be in flight at a time.
  /// As with MPI_Isend, the owned elements must not be written before
  /// wait(): contiguous runs of them are sent from where they lie.
  ///   auto h = x.start_halo_exchange(weft::periodic{}); interior(); h.wait(); edges();
  template <weft::execution_space Exec, boundary Boundary>
  halo_exchange start_halo_exchange(const Exec& exec, const Boundary& bc) const {
    const detail::profiling_region region("weft::start_halo_exchange");
    return detail::halo_access::start(*this, exec, bc, stencil_shape::box);
  }
  template <boundary Boundary>
  halo_exchange start_halo_exchange(const Boundary& bc) const {
    return start_halo_exchange(execution_space{}, bc);
  }

  /// What an exchange with `bc` moves (its plan is built if needed, on this
  /// rank only: not collective), e.g. for a cost model.
  template <boundary Boundary>
  halo_description describe_halo(const Boundary&) const {
    return detail::halo_access::describe<distributed_vector, Boundary>(*this, stencil_shape::box);
  }

  /// Whether this and `other` are the same vector (copies of one another).
  /// The same answer on every rank.
  bool same_data(const distributed_vector& other) const { return halo_state_ == other.halo_state_; }
  template <class U, class M>
  bool same_data(const distributed_vector<U, M>&) const {
    return false;
  }

 private:
  friend struct detail::halo_access;
  static constexpr const char* halo_noun = "vector";
  // A 1-D halo is the same whatever the shape: one plan serves both.
  static constexpr stencil_shape halo_shape(stencil_shape) { return stencil_shape::box; }
  template <class Boundary>
  void check_halo_boundary(detail::collective_check&, const Boundary&) const {}
  typename detail::typed_copy_plan<T, MemorySpace>::storage_view halo_storage() const {
    return typename detail::typed_copy_plan<T, MemorySpace>::storage_view(storage_.data(), storage_.extent(0));
  }

  // From comm and a partition: the layout's arguments and the allocation
  // settled together, in one collective (the check lives until the
  // delegating call completes).
  distributed_vector(const communicator& comm, const weft::partition& p, halo h, bool initialize)
      : distributed_vector(comm, p, h, initialize, detail::collective_check("weft::distributed_vector")) {}
  distributed_vector(const communicator& comm, const weft::partition& p, halo h, bool initialize,
                     detail::collective_check&& check)
      : layout_(comm, p, h, &check, "weft::distributed_vector") {
    allocate(initialize, check);
  }
  distributed_vector(const vector_layout& layout, bool initialize) : layout_(layout) {
    detail::collective_check check("weft::distributed_vector");
    allocate(initialize, check);
  }

  void allocate(bool initialize, detail::collective_check& check) {
    check.attempt([&] {
      const std::int64_t m = local_size(), g = halo_width();
      detail::require(m <= INT64_MAX - 2 * g, "weft::distributed_vector: ", m, " elements and 2 x ", g,
                      " ghosts exceed a 64-bit size");
      const auto extent = static_cast<std::size_t>(m + 2 * g);
      if (initialize) {
        storage_ = storage_type("weft::distributed_vector", extent);
      } else {
        storage_ = storage_type(Kokkos::view_alloc(Kokkos::WithoutInitializing, "weft::distributed_vector"), extent);
        const std::pair<std::int64_t, std::int64_t> left(0, g), right(g + m, 2 * g + m);
        Kokkos::deep_copy(Kokkos::subview(storage_, left), T{});
        Kokkos::deep_copy(Kokkos::subview(storage_, right), T{});
      }
      halo_state_ = std::make_shared<detail::field_halo_state<T, MemorySpace>>();
    });
    check.settle(layout_.comm());
  }

  vector_layout layout_;
  storage_type storage_;
  std::shared_ptr<detail::field_halo_state<T, MemorySpace>> halo_state_;
};

namespace detail {
template <class T, class M>
struct is_distributed_vector<distributed_vector<T, M>> : std::true_type {};
}  // namespace detail

}  // namespace weft
