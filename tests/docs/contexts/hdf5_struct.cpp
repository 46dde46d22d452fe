// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
// The sample that describes a struct to weft::hdf5, and a save and a load
// of a vector of it, so that the description is used, not only declared.
// needs: hdf5
#include <weft/hdf5.hpp>

#include <cstdint>
#include <tuple>

// @DECLARATIONS@

[[maybe_unused]] void save_and_load(const weft::communicator& comm) {
  weft::distributed_vector<particle> x(comm, 100), y(comm, 100);
  weft::save("particles.h5", "x", x);
  weft::load("particles.h5", "x", y);
  // @BODY@
}
