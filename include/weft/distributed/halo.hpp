// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
#pragma once
// The halo of distributed vectors and grids, in one vocabulary: a field
// stores its block with halo_width() ghost cells on every side (with_halo()),
// its own cells are local(), and exchange_halo / start_halo_exchange fill
// the ghosts from the neighbouring blocks. This header holds what both share:
// the handle of an exchange in flight, the description of a halo plan, and
// (in detail) the one implementation of the exchange both call.

#include "../detail/config.hpp"  // first: the C++20 check

#include "../detail/profiling.hpp"
#include "../stencil.hpp"
#include "communicator.hpp"
#include "detail/halo.hpp"

#include <Kokkos_Core.hpp>

#include <algorithm>
#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <type_traits>
#include <utility>
#include <vector>

namespace weft {

/// Ghost cells on each side of every rank's block of a distributed vector:
/// weft::halo{g} (grids take grid_options::halo).
struct halo {
  int width = 0;
};
/// The former name of weft::halo.
using ghosts [[deprecated("weft::ghosts is now weft::halo (one vocabulary for vectors and grids)")]] = halo;

/// What one halo exchange of a field moves, from the plan it runs on (for
/// cost models and tests): messages to and from other ranks, the elements
/// it sends, the messages MPI takes from or puts into the field's storage
/// itself (no buffer), the ghosts the rank fills from its own cells,
/// whether MPI reads the field's memory directly (host memory, or a
/// GPU-aware MPI) rather than through host buffers, and per dimension
/// {low face, high face} whether any face ghost comes from another rank
/// (work that reads only the other faces can run before wait()).
struct halo_description {
  std::int64_t messages_sent = 0, messages_received = 0, elements_sent = 0, messages_unbuffered = 0,
               elements_copied_locally = 0;
  bool direct = true;
  std::array<std::array<bool, 2>, 3> remote_faces{};
};

/// A halo exchange in flight (from start_halo_exchange); wait() completes it.
/// Work that does not read ghosts from other ranks can run in between (the
/// ghosts a rank supplies itself, and boundary values, are written when the
/// exchange starts); as with MPI_Isend, it must not write the owned elements
/// being exchanged, which may be sent from where they lie. Destroying it
/// without wait() waits then. It keeps the vector or grid it exchanges alive.
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
    const detail::profiling_region region("weft::halo_exchange::wait");
    if (auto finish = std::exchange(finish_, nullptr)) finish();
  }

 private:
  std::function<void()> finish_;
  std::function<bool()> test_;
  std::function<void()> cancel_;
};

namespace detail {
template <class X>
struct is_distributed_vector : std::false_type {};
template <class X>
struct is_distributed_grid : std::false_type {};
}  // namespace detail

/// A weft::distributed_vector of any value type and memory space.
template <class X>
concept distributed_1d = detail::is_distributed_vector<std::remove_cvref_t<X>>::value;
/// A weft::distributed_grid of any value type, rank and memory space.
template <class X>
concept grid = detail::is_distributed_grid<std::remove_cvref_t<X>>::value;
/// A distributed vector or grid: a field laid out over the ranks of a
/// communicator, with a halo.
template <class X>
concept distributed = distributed_1d<X> || grid<X>;

namespace detail {

template <class Boundary>
constexpr boundary_kind kind_of() {
  if constexpr (std::is_same_v<Boundary, periodic>)
    return boundary_kind::periodic;
  else if constexpr (std::is_same_v<Boundary, clamp>)
    return boundary_kind::clamp;
  else
    return boundary_kind::constant;
}

/// The one implementation of the halo exchange of vectors and grids, and
/// of the plans their layouts cache. A field (friend) provides privately:
/// value_type and memory_space, layout_ (its layout), halo_state_ (a
/// shared_ptr<field_halo_state>), halo_storage() (its storage as one flat
/// view), halo_noun ("vector" or "grid"), halo_shape(shape) (the shape its
/// plans depend on) and check_halo_boundary(check, bc). A layout (friend)
/// provides cache_ (a shared_ptr<plan_cache>), comm(),
/// build_halo_geometry(spec).
struct halo_access {
  /// The geometry of `spec` on `layout`, built once per layout.
  template <class Layout>
  static std::shared_ptr<const copy_plan> geometry(const Layout& layout, const halo_spec& spec) {
    return layout.cache_->template get<copy_plan>(
        spec, [&] { return std::make_shared<const copy_plan>(layout.build_halo_geometry(spec)); });
  }

  /// The plan of `spec` for values T in MemorySpace, built once per layout.
  template <class T, class MemorySpace, class Layout>
  static std::shared_ptr<const typed_copy_plan<T, MemorySpace>> plan(const Layout& layout, const halo_spec& spec) {
    return layout.cache_->template get<typed_copy_plan<T, MemorySpace>>(spec, [&] {
      return std::make_shared<const typed_copy_plan<T, MemorySpace>>(geometry(layout, spec),
                                                                     "weft::start_halo_exchange");
    });
  }

  /// A plan of a movement from `layout` (a redistribution, a gather or
  /// scatter) under `key`, made by build() the first time; the layout keeps
  /// the last few movements' (plan_cache).
  template <class Plan, class Layout, class Build>
  static std::shared_ptr<const Plan> cached(const Layout& layout, const plan_key& key, Build build) {
    return layout.cache_->template get<Plan>(key, build);
  }

  /// A field's storage (owned values and halo) as one flat view.
  template <class Field>
  static auto storage(const Field& f) {
    return f.halo_storage();
  }

  /// Plans the layout has built (geometries and typed plans), for tests and counts.
  template <class Layout>
  static std::int64_t plans_built(const Layout& layout) {
    return layout.cache_->built();
  }
  /// Plans the layout holds now (movements' plans are dropped after a few).
  template <class Layout>
  static std::int64_t plans_held(const Layout& layout) {
    return layout.cache_->held();
  }

  template <class Field>
  static auto& state(const Field& f) {
    return *f.halo_state_;
  }
  template <class Field>
  static const auto& layout(const Field& f) {
    return f.layout_;
  }

  template <class Field, class Boundary>
  static halo_spec spec_of(stencil_shape shape) {
    return {kind_of<Boundary>(), Field::halo_shape(shape)};
  }

  /// Records in `check` what must hold on every rank for an exchange of `f`
  /// with `bc` and `shape`, and finds or makes its exchanger (if `build`; a
  /// failure there is recorded too). The distributed stencils settle this
  /// with their own checks.
  template <class Field, class Boundary>
  static auto* prepare(const Field& f, collective_check& check, const Boundary& bc, stencil_shape shape, bool build) {
    using T = typename Field::value_type;
    using M = typename Field::memory_space;
    static_assert(!std::is_same_v<Boundary, interior_only>,
                  "weft::start_halo_exchange: interior_only is a stencil option, not a halo boundary; use "
                  "periodic, constant or clamp.");
    const halo_spec spec = spec_of<Field, Boundary>(shape);
    record_boundary<T>(check, spec.kind, bc);
    check.same("the halo shape (0 box, 1 cross)", static_cast<std::int64_t>(spec.shape));
    f.check_halo_boundary(check, bc);
    auto& s = state(f);
    check.require(!s.in_flight, "weft::start_halo_exchange: a halo exchange of this ", Field::halo_noun,
                  " is already in flight; wait() for it first");
    copy_exchanger<T, M>* x = nullptr;
    if (!build) return x;
    check.attempt([&] {
      for (auto& [have, exchanger] : s.exchangers)
        if (have == spec) x = exchanger.get();
      if (x) return;
      s.exchangers.emplace_back(spec, std::make_unique<copy_exchanger<T, M>>(plan<T, M>(f.layout_, spec), halo_tag));
      x = s.exchangers.back().second.get();
    });
    return x;
  }

  /// Starts an exchange prepared and settled as above. The closures keep a
  /// copy of `f`, so its data and exchanger outlive the exchange.
  template <class Field, class Exec, class Boundary, class Exchanger>
  static halo_exchange begin(const Field& f, const Exec& exec, const Boundary& bc, Exchanger& x,
                             std::shared_ptr<neighbour_check> neighbours = nullptr) {
    using T = typename Field::value_type;
    std::optional<T> constant;
    if constexpr (requires { bc.value; }) constant = static_cast<T>(bc.value);
    const auto storage = f.halo_storage();
    auto& s = state(f);
    x.start(exec, storage, storage, constant, f.layout_.comm().native(), "weft::start_halo_exchange",
            neighbours ? &neighbours->agreement() : nullptr);
    s.in_flight = true;
    return halo_exchange(
        [f, &s, &x, exec, storage, neighbours] {
          s.in_flight = false;
          x.finish(exec, storage, "weft::halo_exchange::wait");
          if (neighbours) neighbours->conclude();
        },
        [&x] { return x.test("weft::halo_exchange::test"); },
        [f, &s, &x, neighbours] {
          x.cancel();
          s.in_flight = false;
        });
  }

  /// After an exchange settled across every rank: the field's neighbours
  /// (under any specification) are known from now on.
  template <class Field>
  static void learn_peers(const Field& f) {
    auto& s = state(f);
    if (s.peers) return;
    std::vector<int> all;
    for (const halo_spec& spec : peer_halo_specs()) {
      const auto some = geometry(f.layout_, spec)->peers();
      all.insert(all.end(), some.begin(), some.end());
    }
    std::sort(all.begin(), all.end());
    all.erase(std::unique(all.begin(), all.end()), all.end());
    s.peers = std::move(all);
  }

  /// exchange_halo and start_halo_exchange of vectors and grids.
  template <class Field, class Exec, class Boundary>
  static halo_exchange start(const Field& f, const Exec& exec, const Boundary& bc, stencil_shape shape) {
    using T = typename Field::value_type;
    const char* algorithm = "weft::start_halo_exchange";
    const communicator& comm = f.layout_.comm();
    collective_check check(algorithm);
    auto* x = prepare(f, check, bc, shape, true);
    // After the first settled exchange, the check goes to the neighbours
    // only (see neighbour_agreement); the first settles it across every
    // rank, and learns the neighbours.
    if (auto neighbours = neighbour_check_for(comm, state(f), check, algorithm)) {
      agree_on_boundary_value<T>(comm, bc, algorithm);
      if (check.failed_here()) neighbours->conclude();  // throws: no data moves to or from this rank
      return begin(f, exec, bc, *x, std::move(neighbours));
    }
    check.settle_arguments(comm);
    agree_on_boundary_value<T>(comm, bc, algorithm);
    learn_peers(f);
    return begin(f, exec, bc, *x);
  }

  /// What an exchange of `f` with `bc` and `shape` moves (builds its plan
  /// if needed; local, not collective).
  template <class Field, class Boundary>
  static halo_description describe(const Field& f, stencil_shape shape) {
    using T = typename Field::value_type;
    using M = typename Field::memory_space;
    const auto p = plan<T, M>(f.layout_, spec_of<Field, Boundary>(shape));
    halo_description d{p->messages_sent(),
                       p->messages_received(),
                       p->elements_sent(),
                       p->messages_unbuffered(),
                       p->elements_copied_locally(),
                       p->direct(),
                       {}};
    for (int k = 0; k < Field::rank; ++k)
      for (int side = 0; side < 2; ++side)
        d.remote_faces[static_cast<std::size_t>(k)][static_cast<std::size_t>(side)] = p->remote_face(k, side);
    return d;
  }
};

}  // namespace detail
}  // namespace weft
