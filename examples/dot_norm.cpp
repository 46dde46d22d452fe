// Distributed dot product and norm.
//
//   mpiexec -n 4 dot_norm [n]
//
// x_i = sin(i h), y_i = cos(i h) on [0, 2 pi) spread over the ranks in
// blocks; weft::transform_reduce gives the dot product and the norm on every
// rank. Both have closed forms (sum of sin*cos over a full period is 0, sum
// of sin^2 is n/2), which the example checks.
#include <weft/distributed.hpp>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <numbers>

int main(int argc, char* argv[]) {
  weft::environment env(argc, argv);  // MPI, then Kokkos, until main returns
  const weft::communicator& comm = env.world();
  const std::int64_t n = argc > 1 ? std::atoll(argv[1]) : 10'000'000;
  const double h = 2 * std::numbers::pi / n;

  weft::distributed_vector<double> x(comm, n), y(comm, n);
  weft::for_each_index(
      x, KOKKOS_LAMBDA(std::int64_t i, double& v) { v = std::sin(i * h); });
  weft::for_each_index(
      y, KOKKOS_LAMBDA(std::int64_t i, double& v) { v = std::cos(i * h); });

  Kokkos::Timer timer;
  const double dot = weft::transform_reduce(x, y, 0.0, weft::plus{}, weft::multiplies{});
  const double norm = std::sqrt(weft::transform_reduce(
      x, 0.0, weft::plus{}, KOKKOS_LAMBDA(double v) { return v * v; }));
  const double seconds = timer.seconds();

  std::printf("rank %d of %d owns [%lld, %lld)\n", comm.rank(), comm.size(), static_cast<long long>(x.offset()),
              static_cast<long long>(x.offset() + x.local_size()));
  const bool ok = std::abs(dot) < 1e-9 * n && std::abs(norm - std::sqrt(n / 2.0)) < 1e-9 * n;
  if (comm.rank() == 0) {
    std::printf("n = %lld on %d ranks: x.y = %.3e (exact 0), |x| = %.9f (exact %.9f), %.3f ms: %s\n",
                static_cast<long long>(n), comm.size(), dot, norm, std::sqrt(n / 2.0), 1e3 * seconds,
                ok ? "ok" : "WRONG");
  }
  return ok ? 0 : 1;
}
