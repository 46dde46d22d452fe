// Distributed vectors: the dot product, the inclusive scan, the 1-D
// 3-point stencil and the bare halo exchange, each beside the same
// computation written by hand with Kokkos kernels and plain MPI calls.
//
//   dist_dot/{weft,kokkos}/n        weft::transform_reduce(x, y, 0.0, plus, multiplies)
//                                   | parallel_reduce + MPI_Allreduce
//   dist_scan/{weft,kokkos}/n       weft::inclusive_scan(x, y)
//                                   | parallel_reduce + MPI_Exscan + parallel_scan + MPI_Allreduce (total)
//   dist_stencil1d/{weft,kokkos}/n  weft::stencil(x, y, 1, periodic, 3-point), interior overlapped
//                                   | MPI_Sendrecv of both ghosts, then one parallel_for
//   halo1d/{weft,mpi}/g             x.exchange_halo(periodic) with g ghosts per side
//                                   | two MPI_Sendrecv of g doubles from the vector's own memory
//
// n is the global size (strong scaling: the same n at every rank count);
// block partitions. The halo1d cases fit the latency and bandwidth terms of
// the cost model in bench/README.md.

#include "common.hpp"

#include <vector>

namespace weft_dbench {
namespace {

using dvector = weft::distributed_vector<double>;

struct vector_data {
  weft::communicator comm;
  dvector x, y;
};

vector_data& vectors(std::int64_t n, int ghosts) {
  return cached<vector_data>("vector/" + std::to_string(n) + "/" + std::to_string(ghosts), [n, ghosts] {
    weft::communicator comm(MPI_COMM_WORLD);
    const auto p = weft::partition::block(n, comm.size());
    vector_data d{comm, dvector(comm, p, weft::halo{ghosts}), dvector(comm, p, weft::halo{ghosts})};
    weft::for_each_index(d.x, KOKKOS_LAMBDA(std::int64_t i, double& v) { v = pattern(i, 1); });
    weft::for_each_index(d.y, KOKKOS_LAMBDA(std::int64_t i, double& v) { v = pattern(i, 2); });
    Kokkos::fence();
    return d;
  });
}

// An allgather of one value of `bytes` bytes: P - 1 messages in and out per
// rank (ring or pairwise algorithms). Allreduce of 8 bytes: log2 P rounds.
traffic allgather_traffic(double bytes) {
  const int p = world_size();
  return {double(p - 1), bytes * (p - 1)};
}
traffic allreduce_traffic(double bytes) {
  const int p = world_size();
  return {std::ceil(std::log2(double(p))), bytes * std::ceil(std::log2(double(p)))};
}

void register_dot(std::int64_t n) {
  // sum over i of pattern(i, 1) * pattern(i, 2), on the host.
  auto expected = [n] {
    double s = 0;
    for (std::int64_t i = 0; i < n; ++i) s += pattern(i, 1) * pattern(i, 2);
    return s;
  };
  add("dist_dot", "weft", n, [n, expected](benchmark::State& state, const std::string& name) {
    auto& d = vectors(n, 0);
    const exec_space exec;
    auto step = [&] { return weft::transform_reduce(exec, d.x, d.y, 0.0, weft::plus{}, weft::multiplies{}); };
    if (first_time(name)) check_value(name, "the dot product", step(), expected());
    time_loop(state, [&] { benchmark::DoNotOptimize(step()); });
    return allgather_traffic(sizeof(weft::detail::optional_value<double>));
  });
  add("dist_dot", "kokkos", n, [n, expected](benchmark::State& state, const std::string& name) {
    auto& d = vectors(n, 0);
    const exec_space exec;
    auto step = [&] {
      const auto x = d.x.local(), y = d.y.local();
      double mine = 0, total = 0;
      Kokkos::parallel_reduce(
          "kokkos::dot", Kokkos::RangePolicy<exec_space>(exec, 0, x.extent(0)),
          KOKKOS_LAMBDA(const std::int64_t i, double& acc) { acc += x(i) * y(i); }, mine);
      MPI_Allreduce(&mine, &total, 1, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD);
      return total;
    };
    if (first_time(name)) check_value(name, "the dot product", step(), expected());
    time_loop(state, [&] { benchmark::DoNotOptimize(step()); });
    return allreduce_traffic(8);
  });
}

// Checks the scan's output on this rank (every prefix sum) and the total.
void check_scan(const std::string& name, const dvector& x, const dvector& y, double total) {
  const auto in = weft::all_gather(x);
  auto out = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace{}, y.local());
  double running = 0;
  for (std::int64_t i = 0; i < x.global_size(); ++i) {
    running += in[i];
    const std::int64_t local = i - y.offset();
    if (local >= 0 && local < y.local_size()) check_value(name, "y(" + std::to_string(i) + ")", out(local), running);
  }
  check_value(name, "the total", total, running);
}

void register_scan(std::int64_t n) {
  add("dist_scan", "weft", n, [n](benchmark::State& state, const std::string& name) {
    auto& d = vectors(n, 0);
    const exec_space exec;
    auto step = [&] { return weft::inclusive_scan(exec, d.x, d.y); };
    if (first_time(name)) check_scan(name, d.x, d.y, step());
    time_loop(state, [&] { benchmark::DoNotOptimize(step()); });
    return allgather_traffic(sizeof(weft::detail::optional_value<double>));
  });
  add("dist_scan", "kokkos", n, [n](benchmark::State& state, const std::string& name) {
    auto& d = vectors(n, 0);
    const exec_space exec;
    auto step = [&] {
      const auto x = d.x.local(), y = d.y.local();
      const Kokkos::RangePolicy<exec_space> range(exec, 0, x.extent(0));
      double mine = 0, before = 0, total = 0;
      Kokkos::parallel_reduce(
          "kokkos::scan_sum", range, KOKKOS_LAMBDA(const std::int64_t i, double& acc) { acc += x(i); }, mine);
      MPI_Exscan(&mine, &before, 1, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD);
      if (world_rank() == 0) before = 0;  // MPI leaves rank 0's result undefined
      Kokkos::parallel_scan(
          "kokkos::scan", range, KOKKOS_LAMBDA(const std::int64_t i, double& update, const bool final) {
            update += x(i);
            if (final) y(i) = before + update;
          });
      MPI_Allreduce(&mine, &total, 1, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD);
      return total;
    };
    if (first_time(name)) check_scan(name, d.x, d.y, step());
    time_loop(state, [&] { benchmark::DoNotOptimize(step()); });
    traffic t = allreduce_traffic(8);
    t.messages *= 2;  // MPI_Exscan as well
    t.bytes *= 2;
    return t;
  });
}

struct three_point {
  template <class Neighbourhood>
  KOKKOS_INLINE_FUNCTION double operator()(const Neighbourhood& nb) const {
    return 0.25 * (nb(-1) + 2 * nb(0) + nb(1));
  }
};

void check_stencil1d(const std::string& name, const dvector& x, const dvector& y) {
  const auto in = weft::all_gather(x);
  auto out = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace{}, y.local());
  const std::int64_t n = x.global_size();
  for (std::int64_t k = 0; k < y.local_size(); ++k) {
    const std::int64_t i = y.offset() + k;
    const double want = 0.25 * (in[(i - 1 + n) % n] + 2 * in[i] + in[(i + 1) % n]);
    check_value(name, "y(" + std::to_string(i) + ")", out(k), want);
  }
}

/// The first time `name` runs: one step on an overwritten output, checked.
template <class Step>
void check_stencil1d_once(const std::string& name, const vector_data& d, Step step) {
  if (!first_time(name)) return;
  Kokkos::deep_copy(d.y.local(), -1.0);
  step();
  Kokkos::fence();
  check_stencil1d(name, d.x, d.y);
}

void register_stencil1d(std::int64_t n) {
  add("dist_stencil1d", "weft", n, [n](benchmark::State& state, const std::string& name) {
    auto& d = vectors(n, 1);
    const exec_space exec;
    auto step = [&] { weft::stencil(exec, d.x, d.y, 1, weft::periodic{}, three_point{}); };
    check_stencil1d_once(name, d, step);
    time_loop(state, step);
    const auto plan = d.x.describe_halo(weft::periodic{});
    return traffic{double(plan.messages_sent), 8.0 * double(plan.elements_sent)};
  });
  if constexpr (!host_default) return;
  add("dist_stencil1d", "kokkos", n, [n](benchmark::State& state, const std::string& name) {
    auto& d = vectors(n, 1);
    const exec_space exec;
    const int p = world_size(), me = world_rank();
    const int left = (me + p - 1) % p, right = (me + 1) % p;
    auto step = [&] {
      const auto all = d.x.with_halo();
      const std::int64_t m = d.x.local_size();
      double* data = all.data();  // host memory: this baseline runs only on host spaces
      exec.fence();
      // My first element to the left neighbour's right ghost, my last to the right neighbour's left ghost.
      MPI_Sendrecv(data + 1, 1, MPI_DOUBLE, left, 1, data + m + 1, 1, MPI_DOUBLE, right, 1, MPI_COMM_WORLD,
                   MPI_STATUS_IGNORE);
      MPI_Sendrecv(data + m, 1, MPI_DOUBLE, right, 2, data, 1, MPI_DOUBLE, left, 2, MPI_COMM_WORLD,
                   MPI_STATUS_IGNORE);
      const auto y = d.y.local();
      Kokkos::parallel_for(
          "kokkos::stencil1d", Kokkos::RangePolicy<exec_space>(exec, 0, m),
          KOKKOS_LAMBDA(const std::int64_t i) { y(i) = 0.25 * (all(i) + 2 * all(i + 1) + all(i + 2)); });
    };
    check_stencil1d_once(name, d, step);
    time_loop(state, step);
    return traffic{2, 16};
  });
}

// The bare halo exchange of g ghosts per side, against two MPI_Sendrecv.
void register_halo(std::int64_t g) {
  const std::int64_t n = std::int64_t(1) << 22;
  add("halo1d", "weft", g, [n, g](benchmark::State& state, const std::string&) {
    auto& d = vectors(n, static_cast<int>(g));
    const exec_space exec;
    d.x.exchange_halo(exec, weft::periodic{});  // builds the plan (once per vector), untimed
    time_loop(state, [&] { d.x.exchange_halo(exec, weft::periodic{}); });
    const auto plan = d.x.describe_halo(weft::periodic{});
    return traffic{double(plan.messages_sent), 8.0 * double(plan.elements_sent)};
  });
  if constexpr (!host_default) return;
  add("halo1d", "mpi", g, [n, g](benchmark::State& state, const std::string&) {
    auto& d = vectors(n, static_cast<int>(g));
    const int p = world_size(), me = world_rank();
    const int left = (me + p - 1) % p, right = (me + 1) % p, count = static_cast<int>(g);
    time_loop(state, [&] {
      double* data = d.x.with_halo().data();
      const std::int64_t m = d.x.local_size();
      MPI_Sendrecv(data + g, count, MPI_DOUBLE, left, 1, data + g + m, count, MPI_DOUBLE, right, 1, MPI_COMM_WORLD,
                   MPI_STATUS_IGNORE);
      MPI_Sendrecv(data + m, count, MPI_DOUBLE, right, 2, data, count, MPI_DOUBLE, left, 2, MPI_COMM_WORLD,
                   MPI_STATUS_IGNORE);
    });
    return traffic{2, 16.0 * double(g)};
  });
}

}  // namespace

void register_vector_benchmarks() {
  for (const std::int64_t n : {std::int64_t(1) << 16, std::int64_t(1) << 20, std::int64_t(1) << 24}) {
    register_dot(n);
    register_scan(n);
    register_stencil1d(n);
  }
  for (const std::int64_t g : {1, 16, 256, 4096, 65536, 1048576}) register_halo(g);
}

}  // namespace weft_dbench
