// Catch2 main for the distributed tests: MPI and Kokkos live for the whole
// run, every rank runs the same test cases, and the run fails if any rank fails.
#include <Kokkos_Core.hpp>
#include <catch2/catch_session.hpp>
#include <mpi.h>

int main(int argc, char* argv[]) {
  MPI_Init(&argc, &argv);
  int failed = 0;
  {
    Kokkos::ScopeGuard kokkos(argc, argv);
    failed = Catch::Session().run(argc, argv) != 0;
  }
  int any_failed = 0;
  MPI_Allreduce(&failed, &any_failed, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
  MPI_Finalize();
  return any_failed;
}
