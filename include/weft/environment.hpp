// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
#pragma once
// weft::local_environment: Kokkos, initialised for as long as one object
// lives, for programs that use only the single-address-space API. Programs
// that use MPI take weft::environment (weft/distributed/environment.hpp),
// which initialises MPI before Kokkos and finalises it after.

#include "detail/config.hpp"  // first: the C++20 check

#include "error.hpp"

#include <Kokkos_Core.hpp>

namespace weft {

/// Kokkos for the lifetime of the object. Constructing one calls
/// Kokkos::initialize(argc, argv), which takes Kokkos' own options
/// (--kokkos-num-threads=4, ...) out of argc and argv, unless Kokkos is
/// initialised already: then it does nothing, and its destructor does not
/// finalise Kokkos either. Only the object that initialised Kokkos calls
/// Kokkos::finalize. Construct it in main before any view, so that it
/// outlives them all. Neither copyable nor
/// movable. Throws weft::error where Kokkos has been finalised already
/// (Kokkos cannot be initialised twice in one process). Not collective.
///   int main(int argc, char* argv[]) { weft::local_environment env(argc, argv); ... }
class local_environment {
 public:
  /// Initialises Kokkos with its default settings (and the KOKKOS_*
  /// environment variables), unless it is initialised already.
  local_environment() {
    if (start()) Kokkos::initialize();
  }

  /// Initialises Kokkos with the command line, unless it is initialised
  /// already.
  local_environment(int& argc, char* argv[]) {
    if (start()) Kokkos::initialize(argc, argv);
  }

  ~local_environment() {
    if (owns_kokkos_) Kokkos::finalize();
  }

  local_environment(const local_environment&) = delete;
  local_environment& operator=(const local_environment&) = delete;

  /// Whether this object initialised Kokkos (and so finalises it).
  bool initialized_kokkos() const noexcept { return owns_kokkos_; }

 private:
  // Whether Kokkos is to be initialised here; sets owns_kokkos_ to match.
  bool start() {
#if KOKKOS_VERSION >= 40000
    detail::require(!Kokkos::is_finalized(),
                    "weft::local_environment: Kokkos has been finalized already; it cannot be initialized again "
                    "in the same process");
#endif
    owns_kokkos_ = !Kokkos::is_initialized();
    return owns_kokkos_;
  }

  bool owns_kokkos_ = false;
};

}  // namespace weft
