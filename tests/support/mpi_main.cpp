// Catch2 main for the distributed tests: MPI and Kokkos (weft::environment)
// live for the whole run, every rank runs the same test cases, and the run
// fails if any rank fails.
#include <weft/distributed/environment.hpp>

#include <catch2/catch_session.hpp>
#include <mpi.h>

int main(int argc, char* argv[]) {
  weft::environment env(argc, argv);
  const int failed = Catch::Session().run(argc, argv) != 0;
  int any_failed = 0;
  MPI_Allreduce(&failed, &any_failed, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
  return any_failed;
}
