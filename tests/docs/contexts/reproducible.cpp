// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
// What the reproducible-sum samples on the site use: local views x, y and
// prefix, distributed grids u and v, a communicator and replicated weights.
// needs: distributed
#include <weft/distributed.hpp>

#include <span>
#include <vector>

namespace sample {
// @DECLARATIONS@

[[maybe_unused]] void run(const Kokkos::DefaultExecutionSpace& exec, Kokkos::View<double*> x, Kokkos::View<double*> y,
                          Kokkos::View<double*> prefix, const weft::distributed_grid<double, 2>& u,
                          const weft::distributed_grid<double, 2>& v, const weft::communicator& comm,
                          const std::vector<double>& weights) {
  // @BODY@
}
}  // namespace sample
