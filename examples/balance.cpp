// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
// Automatic load balancing across ranks of different speeds, and ranks on
// different execution spaces in one run.
//
//   mpiexec -n 3 balance [--n N] [--steps S] [--slowdown 1,2,4] [--ns-per-element T]
//                        [--cpu-ranks K] [--check]
//
// A 1-D diffusion (a three-point stencil, periodic) on a distributed
// vector. Each rank plays a device of a different speed: after its real
// work it waits slowdown x T ns per element it owns (rank r takes the r-th
// factor of --slowdown, cycling). weft::balancer times every rank's work,
// smooths the rates, and when the imbalance is worth a move, proposes a
// partition by speed; apply() moves both fields in one exchange. Prints
// the step time (the slowest rank) and the blocks before and after.
//
// The step is written once, as a function template over the execution
// space; --cpu-ranks K runs the last K ranks on the host space and the
// others on the default one (a GPU in a CUDA build of Kokkos): one rank
// per GPU plus CPU ranks, with halos exchanged and sums reduced between
// them.
//
// --check: exit with status 1 unless the balanced step time is within 15 %
// of the ideal for the measured speeds (n / sum of the rates) and the
// final field equals a sequential run of the same steps.
#include <weft/distributed.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace {
struct settings {
  std::int64_t n = 2'000'000;
  int steps = 16;
  std::vector<double> slowdown{1, 2, 4};
  double ns_per_element = 20;  // the waits dwarf the real work, so load elsewhere hardly shows
  int cpu_ranks = 0;
  bool check = false;
};

// u + (u(-1) - 2 u + u(1)) / 4
struct diffuse {
  template <class Neighbourhood>
  KOKKOS_INLINE_FUNCTION double operator()(const Neighbourhood& nb) const {
    return 0.25 * nb(-1) + 0.5 * nb(0) + 0.25 * nb(1);
  }
};

KOKKOS_INLINE_FUNCTION double initial(std::int64_t i) { return double((i * 7919) % 1000) / 1000.0; }

struct set_initial {
  template <class T>
  KOKKOS_INLINE_FUNCTION void operator()(std::int64_t i, T& v) const {
    v = initial(i);
  }
};

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

std::string sizes_text(const weft::partition& p) {
  std::ostringstream out;
  for (int r = 0; r < p.ranks(); ++r) out << (r ? " " : "") << p.local_size(r);
  return out.str();
}

// The same steps, in one address space, for --check.
std::vector<double> sequential(std::int64_t n, int steps) {
  std::vector<double> u(static_cast<std::size_t>(n)), v(u.size());
  for (std::int64_t i = 0; i < n; ++i) u[std::size_t(i)] = initial(i);
  for (int s = 0; s < steps; ++s) {
    for (std::int64_t i = 0; i < n; ++i) {
      const auto at = [&](std::int64_t j) { return u[std::size_t(((j % n) + n) % n)]; };
      v[std::size_t(i)] = 0.25 * at(i - 1) + 0.5 * at(i) + 0.25 * at(i + 1);
    }
    std::swap(u, v);
  }
  return u;
}

// The whole run on one rank's execution space. Returns the exit status.
template <class Exec>
int run(const weft::communicator& comm, const Exec& exec, const settings& s) {
  using vector = weft::distributed_vector<double, typename Exec::memory_space>;
  const int me = comm.rank(), ranks = comm.size();
  const double slowdown = s.slowdown[std::size_t(me) % s.slowdown.size()];
  const auto even = weft::partition::block(s.n, ranks);
  vector u(comm, even, weft::halo{1}), v(comm, even, weft::halo{1});
  weft::for_each_index(exec, u, set_initial{});

  weft::balancer balance(comm, even);
  std::vector<double> times;  // the slowest rank's time, per step
  int last_move = -1;
  if (me == 0)
    std::printf("%d ranks, n = %lld, slowdowns per rank:", ranks, static_cast<long long>(s.n));
  for (int r = 0; r < ranks && me == 0; ++r) std::printf(" %g", s.slowdown[std::size_t(r) % s.slowdown.size()]);
  if (me == 0) std::printf(" (x %g ns per element)\n  step   slowest   imbalance   blocks\n", s.ns_per_element);

  for (int step = 0; step < s.steps; ++step) {
    // The halo exchange is communication: a fast rank waits in it for the
    // slow ones. Only the work after it measures a rank's speed.
    u.exchange_halo(exec, weft::periodic{});
    const bool move = balance.observe(exec, [&] {
      weft::stencil(exec, u.with_halo(), v.with_halo(), 1, weft::interior_only{}, diffuse{});
      exec.fence();
      const double wait_ns = slowdown * s.ns_per_element * double(u.local_size());
      std::this_thread::sleep_for(std::chrono::nanoseconds(static_cast<std::int64_t>(wait_ns)));
    });
    std::swap(u, v);
    const auto& report = balance.last_report();
    times.push_back(report.measured_seconds);
    if (me == 0)
      std::printf("  %4d  %7.2f ms   %7.3f    %s%s\n", step, 1e3 * report.measured_seconds, report.imbalance,
                  sizes_text(balance.current()).c_str(), move ? "  -> move" : "");
    if (move) {
      balance.apply(u, v);
      last_move = step;
      if (me == 0)
        std::printf("        moved %lld elements in %.2f ms (predicted %.2f ms); %.2f ms per step predicted\n",
                    static_cast<long long>(report.elements_moved), 1e3 * balance.last_move_seconds(),
                    1e3 * report.move_seconds, 1e3 * report.balanced_seconds);
    }
  }

  // Balanced step time: the median of the last steps after the last move;
  // ideal: n over the sum of the smoothed rates the balancer measured.
  std::vector<double> tail;
  for (int step = std::max(last_move + 1, s.steps - 5); step < s.steps; ++step)
    tail.push_back(times[std::size_t(step)]);
  const double balanced = median(tail), first = times.empty() ? 0 : times[0];
  double total_rate = 0;
  for (double r : balance.rates()) total_rate += r;
  const double ideal = total_rate > 0 ? double(s.n) / total_rate : 0;
  const double sum = weft::reduce(exec, u, 0.0, weft::reproducible_plus{});
  const auto field = weft::gather(u, 0);
  int status = 0;
  if (me == 0) {
    std::printf("step time %.2f ms on even blocks, %.2f ms balanced (%.2fx faster); ideal %.2f ms (%+.1f %%)\n",
                1e3 * first, 1e3 * balanced, balanced > 0 ? first / balanced : 0, 1e3 * ideal,
                ideal > 0 ? 100 * (balanced / ideal - 1) : 0);
    std::printf("blocks: %s -> %s, %d move(s); checksum %.17g\n", sizes_text(even).c_str(),
                sizes_text(balance.current()).c_str(), balance.moves(), sum);
    if (s.check) {
      const auto expected = sequential(s.n, s.steps);
      double worst = 0;
      for (std::size_t i = 0; i < expected.size(); ++i) worst = std::max(worst, std::abs(field[i] - expected[i]));
      const bool same = worst <= 1e-12, close = balanced <= 1.15 * ideal;
      std::printf("check: field %s the sequential run (max difference %.3g); balanced step %s 15 %% of ideal\n",
                  same ? "equals" : "DIFFERS FROM", worst, close ? "within" : "NOT within");
      status = same && close ? 0 : 1;
    }
  }
  MPI_Bcast(&status, 1, MPI_INT, 0, comm.native());
  return status;
}

settings parse(int argc, char* argv[]) {
  settings s;
  for (int k = 1; k < argc; ++k) {
    const std::string a = argv[k];
    auto next = [&]() -> std::string { return k + 1 < argc ? argv[++k] : ""; };
    if (a == "--n") s.n = std::atoll(next().c_str());
    else if (a == "--steps") s.steps = std::atoi(next().c_str());
    else if (a == "--ns-per-element") s.ns_per_element = std::atof(next().c_str());
    else if (a == "--cpu-ranks") s.cpu_ranks = std::atoi(next().c_str());
    else if (a == "--check") s.check = true;
    else if (a == "--slowdown") {
      s.slowdown.clear();
      std::stringstream list(next());
      for (std::string item; std::getline(list, item, ',');) s.slowdown.push_back(std::atof(item.c_str()));
    }
  }
  if (s.slowdown.empty()) s.slowdown = {1};
  return s;
}
}  // namespace

int main(int argc, char* argv[]) {
  weft::environment env(argc, argv);  // MPI, then Kokkos, until main returns
  const weft::communicator& comm = env.world();
  int status = 0;
  const settings s = parse(argc, argv);
  // The last --cpu-ranks ranks on the host, the others on the default space.
  const bool on_host = comm.rank() >= comm.size() - s.cpu_ranks;
  try {
    status = weft::with_execution_space(on_host ? "host" : "default", [&](auto exec) { return run(comm, exec, s); });
  } catch (const weft::error& e) {
    if (comm.rank() == 0) std::fprintf(stderr, "%s\n", e.what());
    status = 2;
  }
  return status;
}
