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
//   compute     the whole block alone, no messages (a local weft::stencil
//               over the block with its already filled halo)
//
// The halo's share of a step is exchange / no_overlap; the part of it the
// overlap hides is (no_overlap - weft) / exchange. The process grid is
// MPI_Dims_create's, the same for every variant.

#include "common.hpp"

#include <array>
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
    const auto& plan = d.u.halo_plan_for(weft::periodic{});
    return traffic{double(plan.messages_sent()), 8.0 * double(plan.elements_sent())};
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
    const auto& plan = d.u.halo_plan_for(weft::periodic{});
    return traffic{double(plan.messages_sent()), 8.0 * double(plan.elements_sent())};
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
  add(primitive, "exchange", n, [n, halo_traffic](benchmark::State& state, const std::string&) {
    auto& d = grids<Rank>(n);
    const exec_space exec;
    d.u.exchange_halo(exec, weft::periodic{});  // builds the plan (once per grid), untimed
    time_loop(state, [&] { d.u.exchange_halo(exec, weft::periodic{}); });
    return halo_traffic(d);
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
