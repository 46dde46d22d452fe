// weft::environment initialises MPI, then Kokkos, and finalises them in the
// reverse order, each only if it initialised it; its world communicator is
// freed while MPI is still up. One process per case (MPI starts once per
// process), under mpiexec:
//
//   environment_check fresh        nothing up: the object starts and stops both
//   environment_check mpi_first    MPI up already: the object owns Kokkos only
//   environment_check both_first   both up already: the object owns neither
//
// MPI_Finalize, MPI_Comm_dup and MPI_Comm_free are intercepted here (the MPI
// profiling interface) to see what is alive when MPI is finalised, and a
// Kokkos finalize hook sees whether MPI is still up when Kokkos goes.
// Prints "ok: <case>" and exits 0, or names what went wrong and exits 1.
#include <weft/distributed/environment.hpp>

#include <Kokkos_Core.hpp>
#include <mpi.h>

#include <cstdio>
#include <string>

namespace {
int failures = 0;
int finalize_calls = 0;
int live_duplicates = 0;                 // MPI_Comm_dup minus MPI_Comm_free
bool kokkos_up_at_mpi_finalize = false;  // as MPI_Finalize was called
int duplicates_at_mpi_finalize = -1;
bool mpi_up_at_kokkos_finalize = false;  // as Kokkos::finalize ran its hooks
bool kokkos_finalize_seen = false;

void expect(bool condition, const char* what) {
  if (!condition) {
    std::printf("FAILED: %s\n", what);
    ++failures;
  }
}

bool mpi_up() {
  int initialized = 0, finalized = 0;
  MPI_Initialized(&initialized);
  MPI_Finalized(&finalized);
  return initialized && !finalized;
}

bool mpi_finalized() {
  int finalized = 0;
  MPI_Finalized(&finalized);
  return finalized != 0;
}

void watch_kokkos_finalize() {
  Kokkos::push_finalize_hook([] {
    kokkos_finalize_seen = true;
    mpi_up_at_kokkos_finalize = mpi_up();
  });
}

// Work on everything the environment provides.
void use(const weft::environment& env) {
  int size = 0;
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  expect(env.world().size() == size, "world() spans MPI_COMM_WORLD");
  int provided = -1;
  MPI_Query_thread(&provided);
  expect(env.thread_level() == provided, "thread_level() is what MPI_Query_thread reports");
  Kokkos::View<int*> v("v", 4);
  Kokkos::deep_copy(v, 1);
  int one = 1, sum = 0;
  MPI_Allreduce(&one, &sum, 1, MPI_INT, MPI_SUM, env.world().native());
  expect(sum == size, "an all-reduce over world()");
  expect(live_duplicates >= 1, "world() is a duplicate of MPI_COMM_WORLD (MPI_Comm_dup seen)");
}

void fresh(int& argc, char**& argv) {
  expect(!mpi_up() && !Kokkos::is_initialized(), "neither MPI nor Kokkos up before the environment");
  {
    weft::environment env(argc, argv);
    expect(mpi_up() && Kokkos::is_initialized(), "MPI and Kokkos up inside the environment");
    expect(env.initialized_mpi() && env.initialized_kokkos(), "the environment reports that it initialised both");
    expect(env.thread_level() >= MPI_THREAD_SINGLE, "a thread level");
    watch_kokkos_finalize();
    use(env);
  }
  expect(!Kokkos::is_initialized(), "Kokkos finalised by the environment");
  expect(mpi_finalized(), "MPI finalised by the environment");
  expect(finalize_calls == 1, "MPI_Finalize called once");
  expect(kokkos_finalize_seen && mpi_up_at_kokkos_finalize, "Kokkos finalised while MPI was up");
  expect(!kokkos_up_at_mpi_finalize, "MPI finalised after Kokkos");
  expect(duplicates_at_mpi_finalize == 0, "the world communicator freed before MPI_Finalize");
}

void mpi_first(int& argc, char**& argv) {
  int provided = -1;
  MPI_Init_thread(&argc, &argv, MPI_THREAD_SERIALIZED, &provided);
  {
    weft::environment env(argc, argv);
    expect(!env.initialized_mpi() && env.initialized_kokkos(), "the environment owns Kokkos only");
    expect(env.thread_level() == provided, "thread_level() is what the first MPI_Init_thread got");
    watch_kokkos_finalize();
    use(env);
  }
  expect(!Kokkos::is_initialized(), "Kokkos finalised by the environment");
  expect(mpi_up() && finalize_calls == 0, "MPI left up by the environment");
  expect(live_duplicates == 0, "the world communicator freed with the environment");
  expect(kokkos_finalize_seen && mpi_up_at_kokkos_finalize, "Kokkos finalised while MPI was up");
  MPI_Finalize();
}

void both_first(int& argc, char**& argv) {
  MPI_Init(&argc, &argv);
  Kokkos::initialize(argc, argv);
  {
    weft::environment env(argc, argv);
    expect(!env.initialized_mpi() && !env.initialized_kokkos(), "the environment owns neither");
    use(env);
  }
  expect(Kokkos::is_initialized() && mpi_up(), "Kokkos and MPI left up by the environment");
  expect(live_duplicates == 0, "the world communicator freed with the environment");
  Kokkos::finalize();
  MPI_Finalize();
}
}  // namespace

extern "C" {
int MPI_Comm_dup(MPI_Comm comm, MPI_Comm* copy) {
  const int rc = PMPI_Comm_dup(comm, copy);
  if (rc == MPI_SUCCESS) ++live_duplicates;
  return rc;
}

int MPI_Comm_free(MPI_Comm* comm) {
  const int rc = PMPI_Comm_free(comm);
  if (rc == MPI_SUCCESS) --live_duplicates;
  return rc;
}

int MPI_Finalize() {
  ++finalize_calls;
  kokkos_up_at_mpi_finalize = Kokkos::is_initialized();
  duplicates_at_mpi_finalize = live_duplicates;
  return PMPI_Finalize();
}
}

int main(int argc, char* argv[]) {
  const std::string mode = argc > 1 ? argv[1] : "";
  if (mode == "fresh")
    fresh(argc, argv);
  else if (mode == "mpi_first")
    mpi_first(argc, argv);
  else if (mode == "both_first")
    both_first(argc, argv);
  else {
    std::printf("usage: environment_check fresh|mpi_first|both_first\n");
    return 2;
  }
  if (failures == 0) std::printf("ok: %s\n", mode.c_str());
  return failures == 0 ? 0 : 1;
}
