// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
#pragma once
// weft::environment: MPI and Kokkos for as long as one object lives,
// started in that order and finalised in the reverse one, and a weft
// communicator over MPI_COMM_WORLD, freed before either is finalised.

#include "../detail/config.hpp"  // first: the C++20 check

#include "../environment.hpp"
#include "../error.hpp"
#include "communicator.hpp"

#include <mpi.h>

namespace weft {

namespace detail {

/// MPI for the lifetime of the object: MPI_Init_thread unless MPI is
/// initialised already, and MPI_Finalize at the end only if it initialised it.
class mpi_session {
 public:
  mpi_session(int* argc, char*** argv, int thread_level) {
    const char* who = "weft::environment";
    int initialized = 0, finalized = 0;
    check_mpi(MPI_Initialized(&initialized), "MPI_Initialized", who);
    check_mpi(MPI_Finalized(&finalized), "MPI_Finalized", who);
    require(!finalized, who, ": MPI has been finalized already; it cannot be initialized again in the same process");
    if (initialized) {
      check_mpi(MPI_Query_thread(&provided_), "MPI_Query_thread", who);
    } else {
      check_mpi(MPI_Init_thread(argc, argv, thread_level, &provided_), "MPI_Init_thread", who);
      owns_mpi_ = true;
    }
  }

  ~mpi_session() {
    if (owns_mpi_) MPI_Finalize();
  }

  mpi_session(const mpi_session&) = delete;
  mpi_session& operator=(const mpi_session&) = delete;

  bool owns_mpi() const noexcept { return owns_mpi_; }
  int provided() const noexcept { return provided_; }

 private:
  bool owns_mpi_ = false;
  int provided_ = MPI_THREAD_SINGLE;
};

}  // namespace detail

/// MPI and Kokkos for the lifetime of the object, for programs that use
/// weft's distributed API. Constructing one initialises MPI
/// (MPI_Init_thread with `thread_level`, which takes MPI's options out of
/// argc and argv) unless it is initialised already, then Kokkos
/// (Kokkos::initialize(argc, argv), which takes Kokkos' options) unless it
/// is initialised already, then duplicates MPI_COMM_WORLD into world().
/// Destroying it frees that duplicate (unless copies of world() are still
/// alive), then finalises Kokkos, then MPI, each only if this object
/// initialised it. Construct it first thing in main, so that every view,
/// vector, grid and communicator is destroyed before it. Neither copyable
/// nor movable. Collective over MPI_COMM_WORLD. Throws weft::error where MPI
/// or Kokkos has been finalised already, weft::mpi_error where an MPI call
/// fails. MPI_THREAD_FUNNELED, the default, is what weft needs: it calls MPI
/// only from the thread that calls it; where MPI was initialised already,
/// `thread_level` is ignored and thread_level() reports what MPI provides.
///   int main(int argc, char* argv[]) {
///     weft::environment env(argc, argv);
///     weft::distributed_vector<double> x(env.world(), 1000);
///   }
class environment {
 public:
  /// MPI and Kokkos with their default settings, without a command line.
  explicit environment(int thread_level = MPI_THREAD_FUNNELED)
      : mpi_(nullptr, nullptr, thread_level), world_(MPI_COMM_WORLD) {}

  /// MPI and Kokkos with the command line, which each takes its own options
  /// out of.
  environment(int& argc, char**& argv, int thread_level = MPI_THREAD_FUNNELED)
      : mpi_(&argc, &argv, thread_level), kokkos_(argc, argv), world_(MPI_COMM_WORLD) {}

  environment(const environment&) = delete;
  environment& operator=(const environment&) = delete;

  /// A weft::communicator over MPI_COMM_WORLD (weft's own duplicate of it).
  const communicator& world() const noexcept { return world_; }
  /// The thread support MPI provides (MPI_THREAD_SINGLE, ..._FUNNELED,
  /// ..._SERIALIZED or ..._MULTIPLE), which may be less than was asked for.
  int thread_level() const noexcept { return mpi_.provided(); }
  /// Whether this object initialised MPI (and so finalises it).
  bool initialized_mpi() const noexcept { return mpi_.owns_mpi(); }
  /// Whether this object initialised Kokkos (and so finalises it).
  bool initialized_kokkos() const noexcept { return kokkos_.initialized_kokkos(); }

 private:
  // Members are built in this order and destroyed in the reverse one: the
  // communicator is freed while MPI is up, Kokkos finalised before MPI.
  detail::mpi_session mpi_;
  local_environment kokkos_;
  communicator world_;
};

}  // namespace weft
