// Load balancing across devices of different speeds.
//
//   mpiexec -n 3 rebalance [n]
//
// Each rank plays a device of a different speed: rank r needs (r + 1) times
// as long per element (it repeats its work r + 1 times). With an even block
// partition the slowest rank holds everyone up. The ranks time one sweep,
// share their measured speeds (elements per second), re-partition with
// weft::partition::weighted and move the data with weft::redistribute; the
// next sweep is balanced. Prints per-rank sizes and times before and after,
// and checks that the data survived the move (a checksum) and that the
// slowest rank got faster.
#include <weft/distributed.hpp>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <vector>

namespace {
// One sweep of simulated work over this rank's elements (reads them, leaves
// them as they are); returns this rank's wall time.
double sweep(const weft::distributed_vector<double>& x, int slowdown) {
  Kokkos::fence();
  Kokkos::Timer timer;
  const int repeats = 40 * slowdown;
  const double work = weft::transform_reduce(x.local(), 0.0, weft::plus{}, KOKKOS_LAMBDA(double v) {
    for (int k = 0; k < repeats; ++k) v = std::sqrt(v * v + 1e-3);
    return v;
  });
  const double seconds = timer.seconds();
  return work > 0 ? seconds : -seconds;  // use the result, so the work happens
}

// Every rank's value of t, in rank order, on every rank.
std::vector<double> per_rank(const weft::communicator& comm, double t) {
  std::vector<double> all(comm.size());
  MPI_Allgather(&t, 1, MPI_DOUBLE, all.data(), 1, MPI_DOUBLE, comm.native());
  return all;
}

double report(const weft::communicator& comm, const char* when, const weft::distributed_vector<double>& x,
              double t) {
  const auto times = per_rank(comm, t);
  double slowest = 0;
  for (double v : times) slowest = std::max(slowest, v);
  if (comm.rank() == 0) {
    std::printf("%s:\n", when);
    for (int r = 0; r < comm.size(); ++r)
      std::printf("  rank %d: %9lld elements, %8.2f ms\n", r, static_cast<long long>(x.partition().local_size(r)),
                  1e3 * times[r]);
    std::printf("  sweep time (slowest rank): %.2f ms\n", 1e3 * slowest);
  }
  return slowest;
}
}  // namespace

int main(int argc, char* argv[]) {
  MPI_Init(&argc, &argv);
  int status = 0;
  {
    Kokkos::ScopeGuard kokkos(argc, argv);
    weft::communicator comm(MPI_COMM_WORLD);
    const std::int64_t n = argc > 1 ? std::atoll(argv[1]) : 2'000'000;
    const int slowdown = comm.rank() + 1;

    weft::distributed_vector<double> x(comm, n);
    weft::iota(x, 1.0);
    const double before = sweep(x, slowdown);
    const double t_before = report(comm, "even blocks", x, before);

    // Speeds measured on each rank, shared with all: elements per second.
    const auto speeds = per_rank(comm, x.local_size() / std::max(before, 1e-9));
    auto balanced = weft::redistribute(x, weft::partition::weighted(n, speeds));

    const double after = sweep(balanced, slowdown);
    const double t_after = report(comm, "after weft::redistribute by measured speed", balanced, after);

    // The data moved intact: still 1, 2, ..., n in global order.
    const auto all = weft::gather(balanced, 0);
    int intact = 1;
    for (std::size_t i = 0; i < all.size(); ++i) intact &= all[i] == double(i + 1);
    MPI_Bcast(&intact, 1, MPI_INT, 0, comm.native());
    if (comm.rank() == 0) {
      std::printf("data %s; slowest rank %.2f ms -> %.2f ms (%.2fx faster)%s\n", intact ? "moved intact" : "CORRUPTED",
                  1e3 * t_before, 1e3 * t_after, t_before / t_after,
                  t_after < t_before || comm.size() == 1 ? "" : " (no gain: is the machine oversubscribed?)");
    }
    status = intact ? 0 : 1;
  }
  MPI_Finalize();
  return status;
}
