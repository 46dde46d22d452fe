// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
// What the load-balancing samples on the site use: a communicator, an
// execution space, two distributed vectors with a halo, a step count and
// the work of one step.
// needs: distributed
#include <weft/distributed.hpp>

namespace sample {
template <class Exec>
void work(const Exec& exec, weft::distributed_vector<double>& u, weft::distributed_vector<double>& v) {
  weft::copy(exec, u, v);
}

// @DECLARATIONS@

[[maybe_unused]] void run(const weft::communicator& comm, const Kokkos::DefaultExecutionSpace& exec,
                          weft::distributed_vector<double>& u, weft::distributed_vector<double>& v, int steps) {
  // @BODY@
}
}  // namespace sample
