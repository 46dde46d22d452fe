// Distributed grid stencils and what their halo exchange costs:
//
//   dist_stencil2d/<variant>/n   5-point Jacobi on an n x n periodic grid
//   dist_stencil3d/<variant>/n   7-point Jacobi on an n x n x n periodic grid
//
// variants:
//   weft        weft::stencil(u, v, cross(1), periodic, f): agrees on its arguments
//               across ranks (one small MPI_Allreduce), posts the halo
//               messages, computes the block's interior, waits, computes
//               the edges
//   trusted     the same on grids whose communicator trusts its arguments
//               (weft::argument_checks::trusted): no MPI_Allreduce
//   box_halo    the same on grids with the default halo shape (box: faces,
//               edges and corners exchanged) rather than faces only: what
//               the default costs a 5- or 7-point stencil
//   no_overlap  u.exchange_halo(periodic), then the whole block
//   exchange    u.exchange_halo(periodic) alone
//   exchange_mpi    the same faces exchanged by hand: one MPI subarray type
//               per face, MPI_Irecv / MPI_Isend of each, MPI_Waitall
//   box_exchange, box_exchange_mpi   the same two with faces, edges and
//               corners (the box halo)
//   compute     the whole block alone, no messages (a local weft::stencil
//               over the block with its already filled halo)
//
// The halo's share of a step is exchange / no_overlap; the part of it the
// overlap hides is (no_overlap - weft) / exchange. The process grid is
// MPI_Dims_create's, the same for every variant.

#include "common.hpp"

#include <array>
#include <limits>
#include <vector>

namespace weft_dbench {
namespace {

template <int Rank>
using dgrid = weft::distributed_grid<double, Rank>;

template <int Rank>
struct grid_data {
  weft::communicator comm;
  dgrid<Rank> u, v;
};

template <int Rank>
grid_data<Rank>& grids(std::int64_t n, weft::argument_checks checks = weft::argument_checks::agreed,
                       weft::stencil_shape shape = weft::stencil_shape::cross) {
  const std::string key = "grid" + std::to_string(Rank) + "/" + std::to_string(n) + "/" +
                          (checks == weft::argument_checks::agreed ? "agreed" : "trusted") +
                          (shape == weft::stencil_shape::cross ? "/cross" : "/box");
  return cached<grid_data<Rank>>(key, [n, checks, shape] {
    weft::communicator comm(MPI_COMM_WORLD, checks);
    const weft::grid_options opt{.halo = 1, .periodic = {true, true, true}, .dims = {}, .shape = shape};
    std::array<std::int64_t, Rank> extents;
    extents.fill(n);
    grid_data<Rank> d{comm, dgrid<Rank>(comm, extents, opt), dgrid<Rank>(comm, extents, opt)};
    if constexpr (Rank == 2) {
      weft::for_each_index(d.u, KOKKOS_LAMBDA(std::int64_t i, std::int64_t j, double& x) {
        x = pattern(i * n + j, 3);
      });
    } else {
      weft::for_each_index(d.u, KOKKOS_LAMBDA(std::int64_t i, std::int64_t j, std::int64_t k, double& x) {
        x = pattern((i * n + j) * n + k, 3);
      });
    }
    weft::fill(d.v, 0.0);
    Kokkos::fence();
    return d;
  });
}

using weft_bench::five_point;
using weft_bench::seven_point;

template <int Rank>
using stencil_of = std::conditional_t<Rank == 2, five_point, seven_point>;

/// A hand-written halo exchange of a grid's storage: for every neighbour
/// direction (faces only, or faces, edges and corners), the layer of the
/// block next to it sent as an MPI subarray, the ghost layer on that side
/// received as one, all posted at once; periodic in every dimension, the
/// process grid and ranks the grid's own (row-major Cartesian).
template <int Rank>
class hand_exchange {
 public:
  hand_exchange(const dgrid<Rank>& g, bool box) : storage_(g.with_halo().data()) {
    const int h = g.halo_width();
    int sizes[Rank], m[Rank];
    for (int d = 0; d < Rank; ++d) {
      m[d] = static_cast<int>(g.local_extent(d));
      sizes[d] = m[d] + 2 * h;
    }
    MPI_Type_contiguous(static_cast<int>(sizeof(double)), MPI_BYTE, &element_);
    MPI_Type_commit(&element_);
    const int directions = Rank == 2 ? 9 : 27;
    for (int code = 0; code < directions; ++code) {
      int o[Rank], c = code, nonzero = 0;
      for (int d = Rank; d-- > 0;) {
        o[d] = c % 3 - 1;
        c /= 3;
        nonzero += o[d] != 0;
      }
      if (nonzero == 0 || (!box && nonzero > 1)) continue;
      int sub[Rank], send_start[Rank], recv_start[Rank], peer = 0;
      for (int d = 0; d < Rank; ++d) {
        sub[d] = o[d] == 0 ? m[d] : h;
        send_start[d] = o[d] < 0 ? h : o[d] == 0 ? h : m[d];
        recv_start[d] = o[d] < 0 ? 0 : o[d] == 0 ? h : h + m[d];
        const int dims = g.dims()[static_cast<std::size_t>(d)], at = g.coords()[static_cast<std::size_t>(d)];
        peer = peer * dims + (at + o[d] + dims) % dims;
      }
      face f{peer, code, directions - 1 - code, MPI_DATATYPE_NULL, MPI_DATATYPE_NULL};
      MPI_Type_create_subarray(Rank, sizes, sub, send_start, MPI_ORDER_C, element_, &f.send);
      MPI_Type_create_subarray(Rank, sizes, sub, recv_start, MPI_ORDER_C, element_, &f.recv);
      MPI_Type_commit(&f.send);
      MPI_Type_commit(&f.recv);
      faces_.push_back(f);
    }
    requests_.resize(2 * faces_.size());
  }
  ~hand_exchange() {
    for (auto& f : faces_) {
      MPI_Type_free(&f.send);
      MPI_Type_free(&f.recv);
    }
    MPI_Type_free(&element_);
  }
  hand_exchange(const hand_exchange&) = delete;
  hand_exchange& operator=(const hand_exchange&) = delete;

  // The ghosts on side o come from the neighbour at o, which sent its
  // layer towards -o: tagged with the sender's direction.
  void operator()() {
    std::size_t r = 0;
    for (const auto& f : faces_)
      MPI_Irecv(storage_, 1, f.recv, f.peer, f.opposite, MPI_COMM_WORLD, &requests_[r++]);
    for (const auto& f : faces_) MPI_Isend(storage_, 1, f.send, f.peer, f.code, MPI_COMM_WORLD, &requests_[r++]);
    MPI_Waitall(static_cast<int>(r), requests_.data(), MPI_STATUSES_IGNORE);
  }

 private:
  struct face {
    int peer, code, opposite;
    MPI_Datatype send, recv;
  };
  double* storage_;
  MPI_Datatype element_ = MPI_DATATYPE_NULL;
  std::vector<face> faces_;
  std::vector<MPI_Request> requests_;
};

/// Whether every ghost of a grid with a filled halo equals the periodic
/// image of the global field on this rank (the pattern grids() wrote).
template <int Rank>
bool ghosts_match(const dgrid<Rank>& u, std::int64_t n, bool box) {
  const auto s = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace{}, u.with_halo());
  const std::int64_t h = u.halo_width();
  bool ok = true;
  auto wrap = [n](std::int64_t g) { return ((g % n) + n) % n; };
  if constexpr (Rank == 2) {
    for (std::int64_t i = 0; i < std::int64_t(s.extent(0)); ++i)
      for (std::int64_t j = 0; j < std::int64_t(s.extent(1)); ++j) {
        const int outside = (i < h || i >= h + u.local_extent(0)) + (j < h || j >= h + u.local_extent(1));
        if (outside == 0 || (!box && outside > 1)) continue;
        const std::int64_t gi = wrap(u.offset(0) + i - h), gj = wrap(u.offset(1) + j - h);
        ok = ok && s(i, j) == pattern(gi * n + gj, 3);
      }
  } else {
    for (std::int64_t i = 0; i < std::int64_t(s.extent(0)); ++i)
      for (std::int64_t j = 0; j < std::int64_t(s.extent(1)); ++j)
        for (std::int64_t k = 0; k < std::int64_t(s.extent(2)); ++k) {
          const int outside = (i < h || i >= h + u.local_extent(0)) + (j < h || j >= h + u.local_extent(1)) +
                              (k < h || k >= h + u.local_extent(2));
          if (outside == 0 || (!box && outside > 1)) continue;
          const std::int64_t gi = wrap(u.offset(0) + i - h), gj = wrap(u.offset(1) + j - h),
                             gk = wrap(u.offset(2) + k - h);
          ok = ok && s(i, j, k) == pattern((gi * n + gj) * n + gk, 3);
        }
  }
  return ok;
}

/// Fills u's ghosts with NaN, runs exchange once and fails the case unless
/// every rank's ghosts are right.
template <int Rank, class Exchange>
void check_exchange(const std::string& name, const dgrid<Rank>& u, std::int64_t n, bool box, Exchange exchange) {
  if (!first_time(name)) return;
  Kokkos::deep_copy(u.with_halo(), std::numeric_limits<double>::quiet_NaN());
  if constexpr (Rank == 2) {
    weft::for_each_index(u, KOKKOS_LAMBDA(std::int64_t i, std::int64_t j, double& x) { x = pattern(i * n + j, 3); });
  } else {
    weft::for_each_index(u, KOKKOS_LAMBDA(std::int64_t i, std::int64_t j, std::int64_t k, double& x) {
      x = pattern((i * n + j) * n + k, 3);
    });
  }
  Kokkos::fence();
  exchange();
  Kokkos::fence();
  int ok = ghosts_match<Rank>(u, n, box) ? 1 : 0;
  MPI_Allreduce(MPI_IN_PLACE, &ok, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
  if (!ok) fail(name, "ghosts after one exchange", 0.0, 1.0);
}

/// The field after one step, on rank 0, against a sequential computation.
template <int Rank>
void check_step(const std::string& name, const grid_data<Rank>& d, std::int64_t n) {
  const auto in = weft::gather(d.u, 0);
  const auto out = weft::gather(d.v, 0);
  if (world_rank() != 0) return;
  auto at = [&](std::int64_t i, std::int64_t j, std::int64_t k) {
    i = (i + n) % n;
    j = (j + n) % n;
    k = (k + n) % n;
    return Rank == 2 ? in[i * n + j] : in[(i * n + j) * n + k];
  };
  const std::int64_t depth = Rank == 2 ? 1 : n;
  for (std::int64_t i = 0; i < n; ++i)
    for (std::int64_t j = 0; j < n; ++j)
      for (std::int64_t k = 0; k < depth; ++k) {
        const double want = Rank == 2 ? 0.25 * (at(i - 1, j, 0) + at(i + 1, j, 0) + at(i, j - 1, 0) + at(i, j + 1, 0))
                                      : (1.0 / 6.0) * (at(i - 1, j, k) + at(i + 1, j, k) + at(i, j - 1, k) +
                                                       at(i, j + 1, k) + at(i, j, k - 1) + at(i, j, k + 1));
        const double got = Rank == 2 ? out[i * n + j] : out[(i * n + j) * n + k];
        check_value(name, "point " + std::to_string(i) + "," + std::to_string(j) + "," + std::to_string(k), got,
                    want);
      }
}

/// The first time `name` runs: one step on an overwritten output, checked.
template <int Rank, class Step>
void check_once(const std::string& name, const grid_data<Rank>& d, std::int64_t n, Step step) {
  if (!first_time(name)) return;
  weft::fill(d.v, -1.0);
  step();
  Kokkos::fence();
  check_step<Rank>(name, d, n);
}

template <int Rank>
void register_stencil(std::int64_t n) {
  const std::string primitive = Rank == 2 ? "dist_stencil2d" : "dist_stencil3d";
  // What one exchange of u sends (the same plan in every variant that exchanges).
  auto halo_traffic = [](const grid_data<Rank>& d) {
    const auto plan = d.u.describe_halo(weft::periodic{});
    return traffic{double(plan.messages_sent), 8.0 * double(plan.elements_sent)};
  };
  // The block's stencil with no messages: the local stencil over the
  // storage including the halo, writing only the block (interior_only).
  auto compute = [](const exec_space& exec, const grid_data<Rank>& d) {
    weft::stencil(exec, d.u.with_halo(), d.v.with_halo(), 1, weft::interior_only{}, stencil_of<Rank>{});
  };

  add(primitive, "weft", n, [n, halo_traffic](benchmark::State& state, const std::string& name) {
    auto& d = grids<Rank>(n);
    const exec_space exec;
    auto step = [&] { weft::stencil(exec, d.u, d.v, weft::cross(1), weft::periodic{}, stencil_of<Rank>{}); };
    check_once<Rank>(name, d, n, step);
    time_loop(state, step);
    return halo_traffic(d);
  });
  add(primitive, "trusted", n, [n, halo_traffic](benchmark::State& state, const std::string& name) {
    auto& d = grids<Rank>(n, weft::argument_checks::trusted);
    const exec_space exec;
    auto step = [&] { weft::stencil(exec, d.u, d.v, weft::cross(1), weft::periodic{}, stencil_of<Rank>{}); };
    check_once<Rank>(name, d, n, step);
    time_loop(state, step);
    return halo_traffic(d);
  });
  add(primitive, "box_halo", n, [n](benchmark::State& state, const std::string& name) {
    auto& d = grids<Rank>(n, weft::argument_checks::agreed, weft::stencil_shape::box);
    const exec_space exec;
    auto step = [&] { weft::stencil(exec, d.u, d.v, weft::cross(1), weft::periodic{}, stencil_of<Rank>{}); };
    check_once<Rank>(name, d, n, step);
    time_loop(state, step);
    const auto plan = d.u.describe_halo(weft::periodic{});
    return traffic{double(plan.messages_sent), 8.0 * double(plan.elements_sent)};
  });
  add(primitive, "no_overlap", n, [n, halo_traffic, compute](benchmark::State& state, const std::string& name) {
    auto& d = grids<Rank>(n);
    const exec_space exec;
    auto step = [&] {
      d.u.exchange_halo(exec, weft::periodic{});
      compute(exec, d);
    };
    check_once<Rank>(name, d, n, step);
    time_loop(state, step);
    return halo_traffic(d);
  });
  add(primitive, "exchange", n, [n, halo_traffic](benchmark::State& state, const std::string& name) {
    auto& d = grids<Rank>(n);
    const exec_space exec;
    check_exchange<Rank>(name, d.u, n, false, [&] { d.u.exchange_halo(exec, weft::periodic{}); });
    d.u.exchange_halo(exec, weft::periodic{});  // builds the plan (once per grid), untimed
    time_loop(state, [&] { d.u.exchange_halo(exec, weft::periodic{}); });
    return halo_traffic(d);
  });
  add(primitive, "exchange_mpi", n, [n](benchmark::State& state, const std::string& name) {
    auto& d = grids<Rank>(n);
    hand_exchange<Rank> exchange(d.u, false);
    check_exchange<Rank>(name, d.u, n, false, [&] { exchange(); });
    time_loop(state, [&] { exchange(); });
    return traffic{};
  });
  add(primitive, "box_exchange", n, [n](benchmark::State& state, const std::string& name) {
    auto& d = grids<Rank>(n, weft::argument_checks::agreed, weft::stencil_shape::box);
    const exec_space exec;
    check_exchange<Rank>(name, d.u, n, true, [&] { d.u.exchange_halo(exec, weft::periodic{}); });
    time_loop(state, [&] { d.u.exchange_halo(exec, weft::periodic{}); });
    const auto plan = d.u.describe_halo(weft::periodic{});
    return traffic{double(plan.messages_sent), 8.0 * double(plan.elements_sent)};
  });
  add(primitive, "box_exchange_mpi", n, [n](benchmark::State& state, const std::string& name) {
    auto& d = grids<Rank>(n, weft::argument_checks::agreed, weft::stencil_shape::box);
    hand_exchange<Rank> exchange(d.u, true);
    check_exchange<Rank>(name, d.u, n, true, [&] { exchange(); });
    time_loop(state, [&] { exchange(); });
    return traffic{};
  });
  add(primitive, "compute", n, [n, compute](benchmark::State& state, const std::string&) {
    auto& d = grids<Rank>(n);
    const exec_space exec;
    d.u.exchange_halo(exec, weft::periodic{});
    time_loop(state, [&] { compute(exec, d); });
    return traffic{};
  });
}

}  // namespace

void register_grid_benchmarks() {
  for (const std::int64_t n : {128, 512, 2048, 8192}) register_stencil<2>(n);
  for (const std::int64_t n : {64, 128, 256}) register_stencil<3>(n);
}

}  // namespace weft_dbench
