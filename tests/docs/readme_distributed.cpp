#include <weft/distributed.hpp>

#include <cstdio>

int main(int argc, char* argv[]) {
  weft::environment env(argc, argv);             // MPI, then Kokkos; finalised in reverse when main returns
  const weft::communicator& comm = env.world();  // weft talks on its own duplicate of MPI_COMM_WORLD
  const std::int64_t n = 10'000'000;
  weft::distributed_vector<double> x(comm, n), y(comm, n);   // block partition
  weft::for_each_index(x, KOKKOS_LAMBDA(std::int64_t i, double& v) { v = 1.0 / (1 + i); });
  weft::fill(y, 2.0);
  double dot = weft::transform_reduce(x, y, 0.0, weft::plus{}, weft::multiplies{});

  // Balance by measured speed: every rank reports how long its work took;
  // when the imbalance is worth a move, x and y move together.
  weft::balancer balance(comm, x.partition());
  for (int step = 0; step < 3; ++step) {
    Kokkos::Timer timer;
    weft::for_each(x, KOKKOS_LAMBDA(double& v) { v = 2 * v; });
    Kokkos::fence();
    if (balance.observe(timer.seconds())) balance.apply(x, y);
  }

  // A 2-D field over a Cartesian process grid, with an overlapped halo exchange.
  weft::distributed_grid<double, 2> u(comm, {2048, 2048}, {.halo = 1, .periodic = {true, true}});
  weft::distributed_grid<double, 2> v(comm, {2048, 2048}, {.halo = 1, .periodic = {true, true}});
  weft::for_each_index(u, KOKKOS_LAMBDA(std::int64_t i, std::int64_t j, double& value) { value = (i + j) % 7; });
  using nb_t = decltype(u)::neighbourhood<weft::periodic>;   // named, not auto: nvcc needs it
  weft::stencil(u, v, 1, weft::periodic{}, KOKKOS_LAMBDA(const nb_t& nb) {
    return nb(0, 0) + 0.2 * (nb(-1, 0) + nb(1, 0) + nb(0, -1) + nb(0, 1) - 4 * nb(0, 0));
  });
  const double heat_before = weft::reduce(u), heat_after = weft::reduce(v);
  if (comm.rank() == 0)
    std::printf("dot %.6f; rank 0 now holds %lld of %lld; heat %.1f -> %.1f\n", dot,
                static_cast<long long>(x.local_size()), static_cast<long long>(n), heat_before, heat_after);
}
