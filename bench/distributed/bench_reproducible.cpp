// Reproducible sums across ranks (weft::reproducible_plus) against weft's
// default distributed sums and hand-written Kokkos + MPI:
//
//   dist_repro_sum/{weft,default,kokkos}/n   reduce(x, 0.0, reproducible_plus) | plus | parallel_reduce + MPI_Allreduce
//   dist_repro_dot/{weft,default,kokkos}/n   transform_reduce(x, y, ..., multiplies)  | ...
//   dist_repro_scan/{weft,default,kokkos}/n  inclusive_scan(x, y, reproducible_plus) | plus
//                                            | parallel_reduce + MPI_Exscan + parallel_scan + MPI_Allreduce
//
// n global (block partition), 2^20 and 2^24. The reproducible calls gather a
// 32-byte accumulator per rank where the default gathers 16 bytes.

#include "common.hpp"

namespace weft_dbench {
namespace {

using dvector = weft::distributed_vector<double>;

struct repro_vectors {
  weft::communicator comm;
  dvector x, y, out;
  double sum, dot;
};

repro_vectors& repro_data(std::int64_t n) {
  return cached<repro_vectors>("repro/" + std::to_string(n), [n] {
    weft::communicator comm(MPI_COMM_WORLD);
    const auto p = weft::partition::block(n, comm.size());
    repro_vectors d{comm, dvector(comm, p), dvector(comm, p), dvector(comm, p), 0, 0};
    weft::for_each_index(d.x, KOKKOS_LAMBDA(std::int64_t i, double& v) { v = pattern(i, 1); });
    weft::for_each_index(d.y, KOKKOS_LAMBDA(std::int64_t i, double& v) { v = pattern(i, 2); });
    weft::fill(d.out, 0.0);
    Kokkos::fence();
    for (std::int64_t i = 0; i < n; ++i) {
      d.sum += pattern(i, 1);
      d.dot += pattern(i, 1) * pattern(i, 2);
    }
    return d;
  });
}

traffic gathered(double bytes) {
  const int p = world_size();
  return {double(p - 1), bytes * (p - 1)};
}

template <class Step>
void timed(benchmark::State& state, const std::string& name, double want, Step step) {
  if (first_time(name)) check_value(name, "the result", step(), want);
  time_loop(state, [&] { benchmark::DoNotOptimize(step()); });
}

void register_at(std::int64_t n) {
  const double accumulator = sizeof(weft::detail::optional_value<weft::detail::repro_sum>);
  const double plain = sizeof(weft::detail::optional_value<double>);
  add("dist_repro_sum", "weft", n, [=](benchmark::State& state, const std::string& name) {
    auto& d = repro_data(n);
    timed(state, name, d.sum, [&] { return weft::reduce(exec_space{}, d.x, 0.0, weft::reproducible_plus{}); });
    return gathered(accumulator);
  });
  add("dist_repro_sum", "default", n, [=](benchmark::State& state, const std::string& name) {
    auto& d = repro_data(n);
    timed(state, name, d.sum, [&] { return weft::reduce(exec_space{}, d.x, 0.0, weft::plus{}); });
    return gathered(plain);
  });
  add("dist_repro_sum", "kokkos", n, [=](benchmark::State& state, const std::string& name) {
    auto& d = repro_data(n);
    timed(state, name, d.sum, [&] {
      const auto x = d.x.local();
      double mine = 0, total = 0;
      Kokkos::parallel_reduce(
          "kokkos::sum", Kokkos::RangePolicy<exec_space>(exec_space{}, 0, x.extent(0)),
          KOKKOS_LAMBDA(const std::int64_t i, double& acc) { acc += x(i); }, mine);
      MPI_Allreduce(&mine, &total, 1, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD);
      return total;
    });
    return traffic{1, 8};
  });
  add("dist_repro_dot", "weft", n, [=](benchmark::State& state, const std::string& name) {
    auto& d = repro_data(n);
    timed(state, name, d.dot, [&] {
      return weft::transform_reduce(exec_space{}, d.x, d.y, 0.0, weft::reproducible_plus{}, weft::multiplies{});
    });
    return gathered(accumulator);
  });
  add("dist_repro_dot", "default", n, [=](benchmark::State& state, const std::string& name) {
    auto& d = repro_data(n);
    timed(state, name, d.dot,
          [&] { return weft::transform_reduce(exec_space{}, d.x, d.y, 0.0, weft::plus{}, weft::multiplies{}); });
    return gathered(plain);
  });
  add("dist_repro_dot", "kokkos", n, [=](benchmark::State& state, const std::string& name) {
    auto& d = repro_data(n);
    timed(state, name, d.dot, [&] {
      const auto x = d.x.local(), y = d.y.local();
      double mine = 0, total = 0;
      Kokkos::parallel_reduce(
          "kokkos::dot", Kokkos::RangePolicy<exec_space>(exec_space{}, 0, x.extent(0)),
          KOKKOS_LAMBDA(const std::int64_t i, double& acc) { acc += x(i) * y(i); }, mine);
      MPI_Allreduce(&mine, &total, 1, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD);
      return total;
    });
    return traffic{1, 8};
  });
  add("dist_repro_scan", "weft", n, [=](benchmark::State& state, const std::string& name) {
    auto& d = repro_data(n);
    timed(state, name, d.sum, [&] { return weft::inclusive_scan(exec_space{}, d.x, d.out, weft::reproducible_plus{}); });
    return gathered(accumulator);
  });
  add("dist_repro_scan", "default", n, [=](benchmark::State& state, const std::string& name) {
    auto& d = repro_data(n);
    timed(state, name, d.sum, [&] { return weft::inclusive_scan(exec_space{}, d.x, d.out, weft::plus{}); });
    return gathered(plain);
  });
  add("dist_repro_scan", "kokkos", n, [=](benchmark::State& state, const std::string& name) {
    auto& d = repro_data(n);
    timed(state, name, d.sum, [&] {
      const auto x = d.x.local(), out = d.out.local();
      const Kokkos::RangePolicy<exec_space> range(exec_space{}, 0, x.extent(0));
      double mine = 0, before = 0, total = 0;
      Kokkos::parallel_reduce(
          "kokkos::scan_sum", range, KOKKOS_LAMBDA(const std::int64_t i, double& acc) { acc += x(i); }, mine);
      MPI_Exscan(&mine, &before, 1, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD);
      if (world_rank() == 0) before = 0;
      Kokkos::parallel_scan(
          "kokkos::scan", range, KOKKOS_LAMBDA(const std::int64_t i, double& update, const bool final) {
            update += x(i);
            if (final) out(i) = before + update;
          });
      MPI_Allreduce(&mine, &total, 1, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD);
      return total;
    });
    return traffic{2, 16};
  });
}

}  // namespace

void register_reproducible_benchmarks() {
  for (const std::int64_t n : {std::int64_t(1) << 20, std::int64_t(1) << 24}) register_at(n);
}

}  // namespace weft_dbench
