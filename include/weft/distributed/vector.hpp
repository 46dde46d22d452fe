// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
#pragma once
// weft::distributed_vector: a vector spread over the ranks of a communicator
// in contiguous blocks (a weft::partition), with optional ghost cells on
// each side and their halo exchange.

#include "../detail/config.hpp"  // first: the C++20 check

#include "../detail/policy.hpp"
#include "../error.hpp"
#include "../stencil.hpp"
#include "communicator.hpp"
#include "detail/halo.hpp"
#include "detail/mpi.hpp"
#include "partition.hpp"

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

/// Ghost cells on each side of every rank's block: weft::ghosts{g}.
struct ghosts {
  int width = 0;
};

/// Asks a constructor to leave the owned elements uninitialised (as
/// Kokkos::WithoutInitializing does), for data about to be overwritten whole.
struct uninitialized_t {
  explicit uninitialized_t() = default;
};
inline constexpr uninitialized_t uninitialized{};

/// A halo exchange in flight (from start_halo_exchange); wait() completes it.
/// Work that does not read ghosts from other ranks can run in between (the
/// ghosts a rank supplies itself, and boundary values, are written when the
/// exchange starts); as with MPI_Isend, it must not write the owned elements
/// being exchanged, which may be sent from where they lie. Destroying it without wait() waits then. It keeps the
/// vector or grid it exchanges alive.
class halo_exchange {
 public:
  halo_exchange(std::function<void()> finish, std::function<bool()> test, std::function<void()> cancel)
      : finish_(std::move(finish)), test_(std::move(test)), cancel_(std::move(cancel)) {}
  halo_exchange(halo_exchange&& other) noexcept
      : finish_(std::exchange(other.finish_, nullptr)),
        test_(std::exchange(other.test_, nullptr)),
        cancel_(std::exchange(other.cancel_, nullptr)) {}
  halo_exchange(const halo_exchange&) = delete;
  halo_exchange& operator=(const halo_exchange&) = delete;
  halo_exchange& operator=(halo_exchange&&) = delete;
  ~halo_exchange() {
    if (!finish_) return;
    try {
      wait();
    } catch (...) {
      if (cancel_) cancel_();
    }
  }

  /// Lets MPI move the messages along without blocking (MPI_Testall); true
  /// once all have arrived. wait() is still needed to write the ghosts.
  /// Where MPI progresses only inside its own calls (most do, for large
  /// messages), calling this between pieces of other work keeps transfers
  /// going while the work runs.
  bool test() { return !finish_ || test_(); }

  /// Waits for the messages and writes the ghosts (enqueued on the instance
  /// the exchange started on, so later work there sees them).
  void wait() {
    if (auto finish = std::exchange(finish_, nullptr)) finish();
  }

 private:
  std::function<void()> finish_;
  std::function<bool()> test_;
  std::function<void()> cancel_;
};

namespace detail {
/// Starts an exchange of a vector's or grid's halo whose checks are settled,
/// or carried to the neighbours (`neighbours`, concluded when the exchange
/// completes): packs and posts the messages, and returns the handle that
/// completes it. The closures keep a copy of `owner`, so its data and plans
/// outlive the exchange.
template <class Owner, class Exec, class T, class MemorySpace>
halo_exchange begin_exchange(const Owner& owner, const Exec& exec, halo_plans<T, MemorySpace>& plans,
                             halo_plan<T, MemorySpace>& plan,
                             const typename halo_plan<T, MemorySpace>::storage_view& storage,
                             const std::optional<T>& constant, MPI_Comm comm,
                             std::shared_ptr<neighbour_check> neighbours = nullptr) {
  plan.start(exec, storage, constant, comm, "weft::start_halo_exchange",
             neighbours ? &neighbours->agreement() : nullptr);
  plans.in_flight = true;
  return halo_exchange(
      [owner, &plans, &plan, exec, storage, neighbours] {
        plans.in_flight = false;
        plan.finish(exec, storage, "weft::halo_exchange::wait");
        if (neighbours) neighbours->conclude();
      },
      [&plan] { return plan.test("weft::halo_exchange::test"); },
      [owner, &plans, &plan, neighbours] {
        plan.cancel();
        plans.in_flight = false;
      });
}
}  // namespace detail

/// A rank-1 array of global size n over the ranks of a communicator: rank r
/// owns the block [partition.offset(r), + local_size(r)) and stores it, with
/// `ghost_width()` ghost cells on each side, in MemorySpace. Copies share
/// the data, as Kokkos views do; weft::copy makes a deep copy.
///   weft::distributed_vector<double> x(comm, n);
///   weft::distributed_vector<double> u(comm, weft::partition::block(n, comm.size()), weft::ghosts{1});
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
  /// The halo exchange plan of this type (see halo_plan_for).
  using halo_plan_type = detail::halo_plan<T, MemorySpace>;

  /// Block partition of n elements; collective.
  distributed_vector(const communicator& comm, std::int64_t n)
      : distributed_vector(comm, partition::block(n, comm.size()), ghosts{0}) {}

  /// The given partition (one block per rank of comm); collective.
  distributed_vector(const communicator& comm, const weft::partition& p)
      : distributed_vector(comm, p, ghosts{0}) {}

  /// The given partition with g ghost cells on each side; collective. The
  /// partition and ghost width must be the same on every rank: they are
  /// compared exactly, with the outcome of this rank's allocation, in one
  /// MPI_Allreduce, and any difference or failure throws weft::error on
  /// every rank.
  distributed_vector(const communicator& comm, const weft::partition& p, ghosts g)
      : distributed_vector(comm, p, g, true) {}

  /// As above, but the owned elements are left uninitialised (the ghosts
  /// are zero): for a vector about to be overwritten whole (weft::redistribute
  /// makes its results so), which saves a pass over its memory.
  ///   weft::distributed_vector<double> y(comm, p, weft::ghosts{1}, weft::uninitialized);
  distributed_vector(const communicator& comm, const weft::partition& p, ghosts g, uninitialized_t)
      : distributed_vector(comm, p, g, false) {}

 private:
  distributed_vector(const communicator& comm, const weft::partition& p, ghosts g, bool initialize)
      : comm_(comm), partition_(p), ghost_width_(g.width) {
    detail::collective_check check("weft::distributed_vector");
    check.require(p.ranks() == comm.size(), "weft::distributed_vector: the partition has ", p.ranks(),
                  " blocks but the communicator has ", comm.size(), " ranks");
    check.require(g.width >= 0, "weft::distributed_vector: negative ghost width ", g.width);
    check.same("the ghost width", g.width);
    // Every block boundary, as many on every rank (comm.size() + 1, padded
    // with -1 where a partition has too few blocks).
    std::vector<std::int64_t> boundaries(static_cast<std::size_t>(comm.size()) + 1, -1);
    std::copy_n(p.offsets().begin(), std::min(boundaries.size(), p.offsets().size()), boundaries.begin());
    check.same_each("the partition's block boundaries", boundaries);
    check.attempt([&] {
      const std::int64_t m = local_size();
      detail::require(m <= INT64_MAX - 2 * std::int64_t(g.width), "weft::distributed_vector: ", m,
                      " elements and 2 x ", g.width, " ghosts exceed a 64-bit size");
      const auto extent = static_cast<std::size_t>(m + 2 * ghost_width_);
      if (initialize) {
        storage_ = storage_type("weft::distributed_vector", extent);
      } else {
        storage_ = storage_type(Kokkos::view_alloc(Kokkos::WithoutInitializing, "weft::distributed_vector"), extent);
        const std::pair<std::int64_t, std::int64_t> left(0, ghost_width_), right(ghost_width_ + m, 2 * ghost_width_ + m);
        Kokkos::deep_copy(Kokkos::subview(storage_, left), T{});
        Kokkos::deep_copy(Kokkos::subview(storage_, right), T{});
      }
      plans_ = std::make_shared<detail::halo_plans<T, MemorySpace>>();
    });
    check.settle(comm);
  }

 public:

  /// The owned elements: local()(i) is global element offset() + i.
  auto local() const { return Kokkos::subview(storage_, std::pair<std::int64_t, std::int64_t>(ghost_width_, ghost_width_ + local_size())); }
  /// Owned elements with ghost_width() ghosts on each side: element
  /// offset() + i sits at local_with_ghosts()(ghost_width() + i).
  const storage_type& local_with_ghosts() const { return storage_; }

  std::int64_t global_size() const { return partition_.global_size(); }
  std::int64_t local_size() const { return partition_.local_size(comm_.rank()); }
  std::int64_t offset() const { return partition_.offset(comm_.rank()); }
  const weft::partition& partition() const { return partition_; }
  const communicator& comm() const { return comm_; }
  int ghost_width() const { return ghost_width_; }

  /// Fills the ghosts from the neighbouring blocks (from further ranks when
  /// a neighbour owns fewer than ghost_width() elements); at the two global
  /// ends, `bc` decides: weft::periodic{}, weft::constant{v} or weft::clamp{}.
  /// Collective; fences `exec` before sending, and the ghosts are ready for
  /// work enqueued on `exec` when it returns.
  template <weft::execution_space Exec, boundary Boundary>
  void exchange_halo(const Exec& exec, const Boundary& bc) const {
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
    const char* algorithm = "weft::start_halo_exchange";
    detail::collective_check check(algorithm);
    auto* plan = prepare_halo_exchange(check, bc, true);
    // After the first settled exchange, the check goes to the neighbours
    // only (see detail::neighbour_agreement); the first settles it across
    // every rank, and learns the neighbours.
    if (auto neighbours = detail::neighbour_check_for(comm_, *plans_, check, algorithm)) {
      detail::agree_on_boundary_value<T>(comm_, bc, algorithm);
      if (check.failed_here()) neighbours->conclude();  // throws: no data moves to or from this rank
      return begin_halo_exchange(exec, bc, *plan, std::move(neighbours));
    }
    check.settle_arguments(comm_);
    detail::agree_on_boundary_value<T>(comm_, bc, algorithm);
    learn_halo_peers(*plan);
    return begin_halo_exchange(exec, bc, *plan);
  }
  template <boundary Boundary>
  halo_exchange start_halo_exchange(const Boundary& bc) const {
    return start_halo_exchange(execution_space{}, bc);
  }

  /// Records in `check` what must hold on every rank for an exchange with
  /// `bc`, and builds its plan (if `build`; a failure there is recorded
  /// too). The distributed stencils settle this with their own checks.
  template <boundary Boundary>
  detail::halo_plan<T, MemorySpace>* prepare_halo_exchange(detail::collective_check& check, const Boundary& bc,
                                                           bool build) const {
    static_assert(!std::is_same_v<Boundary, interior_only>,
                  "weft::start_halo_exchange: interior_only is a stencil option, not a halo boundary; "
                  "use periodic, constant or clamp.");
    constexpr auto kind = kind_of<Boundary>();
    detail::record_boundary<T>(check, kind, bc);
    check.require(!plans_->in_flight, "weft::start_halo_exchange: a halo exchange of this vector is already in "
                                      "flight; wait() for it first");
    detail::halo_plan<T, MemorySpace>* plan = nullptr;
    if (build) check.attempt([&] { plan = &plan_for(kind); });
    return plan;
  }

  /// Starts an exchange prepared and settled as above.
  template <weft::execution_space Exec, boundary Boundary>
  halo_exchange begin_halo_exchange(const Exec& exec, const Boundary& bc, detail::halo_plan<T, MemorySpace>& plan,
                                    std::shared_ptr<detail::neighbour_check> neighbours = nullptr) const {
    std::optional<T> constant;
    if constexpr (requires { bc.value; }) constant = static_cast<T>(bc.value);
    typename detail::halo_plan<T, MemorySpace>::storage_view flat(storage_.data(), storage_.extent(0));
    return detail::begin_exchange(*this, exec, *plans_, plan, flat, constant, comm_.native(), std::move(neighbours));
  }

  /// The ranks this object's halo exchanges talk to, once an exchange of
  /// it has been settled across every rank (detail::neighbour_check_for).
  const detail::halo_plans<T, MemorySpace>& halo_state() const { return *plans_; }
  /// After an exchange settled across every rank: its peers are this
  /// object's neighbours from now on.
  /// A vector's peers depend on the kind (periodic adds the wrap-around):
  /// all kinds' together.
  void learn_halo_peers(const detail::halo_plan<T, MemorySpace>&) const {
    if (plans_->peers) return;
    std::vector<int> all;
    for (const auto kind : {boundary_kind::periodic, boundary_kind::constant, boundary_kind::clamp}) {
      const auto some = detail::peers_of(build_lists(kind), comm_.rank());
      all.insert(all.end(), some.begin(), some.end());
    }
    std::sort(all.begin(), all.end());
    all.erase(std::unique(all.begin(), all.end()), all.end());
    plans_->peers = std::move(all);
  }

  /// Whether this and `other` are the same vector (copies of one another).
  /// The same answer on every rank.
  bool same_data(const distributed_vector& other) const { return plans_ == other.plans_; }
  template <class U, class M>
  bool same_data(const distributed_vector<U, M>&) const {
    return false;
  }

  /// The plan for a boundary kind, e.g. to report its message count.
  template <boundary Boundary>
  const detail::halo_plan<T, MemorySpace>& halo_plan_for(const Boundary&) const {
    return plan_for(kind_of<Boundary>());
  }

 private:
  using boundary_kind = detail::boundary_kind;

  template <class Boundary>
  static constexpr boundary_kind kind_of() {
    if constexpr (std::is_same_v<Boundary, periodic>) return boundary_kind::periodic;
    else if constexpr (std::is_same_v<Boundary, clamp>) return boundary_kind::clamp;
    else return boundary_kind::constant;
  }

  // Plans are built on first use and shared by copies of the vector.
  detail::halo_plan<T, MemorySpace>& plan_for(boundary_kind kind) const {
    auto& slot = plans_->plans[static_cast<int>(kind)];
    if (!slot) slot.emplace(build_lists(kind), comm_.rank(), "weft::start_halo_exchange");
    return *slot;
  }

  // Who sends what to whom. Every rank walks every rank's ghost slots in the
  // same order (left ghosts, then right), so sender and receiver list the
  // elements of each message identically.
  detail::halo_lists build_lists(boundary_kind kind) const {
    detail::halo_lists lists;
    lists.remote_faces.assign(1, {false, false});
    const std::int64_t n = global_size(), g = ghost_width_;
    const int me = comm_.rank();
    for (int r = 0; r < partition_.ranks(); ++r) {
      const std::int64_t begin = partition_.offset(r), size = partition_.local_size(r);
      for (std::int64_t s = 0; s < 2 * g; ++s) {
        if (s == g) {  // rank r's right ghosts travel apart from its left ones
          if (r == me)
            for (const auto& [q, list] : lists.recv) lists.recv_breaks[q].push_back(static_cast<std::int64_t>(list.size()));
          const auto it = lists.send.find(r);
          lists.send_breaks[r].push_back(it == lists.send.end() ? 0 : static_cast<std::int64_t>(it->second.size()));
        }
        const bool left = s < g;
        const std::int64_t wanted = left ? begin - g + s : begin + size + (s - g);
        const std::int64_t slot = left ? s : g + size + (s - g);  // storage index on rank r
        std::int64_t source = wanted;
        if (wanted < 0 || wanted >= n) {
          if (n == 0 || kind == boundary_kind::constant) {
            if (r == me) lists.constant.push_back(slot);
            continue;
          }
          source = kind == boundary_kind::periodic ? ((wanted % n) + n) % n : (wanted < 0 ? 0 : n - 1);
        }
        const int owner = partition_.owner(source);
        if (r == me) {
          lists.recv[owner].push_back(slot);
          if (owner != me) lists.remote_faces[0][left ? 0 : 1] = true;
        }
        if (owner == me) lists.send[r].push_back(g + source - offset());
      }
    }
    return lists;
  }

  communicator comm_;
  weft::partition partition_;
  int ghost_width_;
  storage_type storage_;
  std::shared_ptr<detail::halo_plans<T, MemorySpace>> plans_;
};

namespace detail {
template <class X>
struct is_distributed_vector : std::false_type {};
template <class T, class M>
struct is_distributed_vector<distributed_vector<T, M>> : std::true_type {};
}  // namespace detail

/// A weft::distributed_vector of any value type and memory space.
template <class X>
concept distributed = detail::is_distributed_vector<std::remove_cvref_t<X>>::value;

}  // namespace weft
