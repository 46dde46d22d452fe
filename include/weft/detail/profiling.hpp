// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
#pragma once
// The Kokkos Tools profiling region every weft algorithm that launches more
// than one kernel or talks to MPI opens, named as users write the call
// ("weft::sort", "weft::stencil"), so a space-time stack, Caliper or nsys
// shows its kernels and the MPI time between them under one name.

#include "config.hpp"  // first: the C++20 check

#include <Kokkos_Core.hpp>

#include <string>

namespace weft::detail {

/// Pushes a region on construction and pops it on destruction, so it stays
/// balanced on every path, exceptions included. Kokkos 3.4 has no
/// ScopedRegion (4.x does); pushRegion and popRegion exist in both. Without a
/// tool loaded it costs one branch: the name is only turned into a
/// std::string (pushRegion's argument) when a tool listens.
class profiling_region {
 public:
  explicit profiling_region(const char* name) : pushed_(Kokkos::Profiling::profileLibraryLoaded()) {
    if (pushed_) Kokkos::Profiling::pushRegion(std::string(name));
  }
  ~profiling_region() {
    if (pushed_) Kokkos::Profiling::popRegion();
  }
  profiling_region(const profiling_region&) = delete;
  profiling_region& operator=(const profiling_region&) = delete;

 private:
  bool pushed_;
};

}  // namespace weft::detail
