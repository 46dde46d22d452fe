// Uses the installed distributed component: a distributed dot product, checked.
#include <weft/distributed.hpp>

#include <cstdio>

int main(int argc, char* argv[]) {
  MPI_Init(&argc, &argv);
  bool ok = false;
  {
    Kokkos::ScopeGuard kokkos(argc, argv);
    weft::communicator comm(MPI_COMM_WORLD);
    const std::int64_t n = 1001;
    weft::distributed_vector<double> x(comm, n), y(comm, n);
    weft::iota(x, 1.0);
    weft::fill(y, 2.0);
    const double dot = weft::transform_reduce(x, y, 0.0, weft::plus{}, weft::multiplies{});
    ok = dot == n * (n + 1.0);
    if (comm.rank() == 0) std::printf("weft::distributed consumer on %d ranks: dot = %g: %s\n", comm.size(), dot, ok ? "ok" : "WRONG");
  }
  MPI_Finalize();
  return ok ? 0 : 1;
}
