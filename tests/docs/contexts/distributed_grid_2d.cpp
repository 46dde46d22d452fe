// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
// What the distributed grid samples on the site use: a communicator, 2-D
// grids u and v, and one speed per rank.
// needs: distributed
#include <weft/distributed.hpp>

#include <vector>

namespace sample {
// @DECLARATIONS@

[[maybe_unused]] void run(const weft::communicator& comm, weft::distributed_grid<double, 2>& u,
                          weft::distributed_grid<double, 2>& v, const std::vector<double>& speeds) {
  // @BODY@
}
}  // namespace sample
