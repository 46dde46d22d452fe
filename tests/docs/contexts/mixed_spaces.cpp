// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
// What the sample of ranks on different execution spaces uses: a
// communicator, a size, how many ranks run on the host, and a stencil
// functor.
// needs: distributed
#include <weft/distributed.hpp>

#include <cstdint>

namespace sample {
constexpr std::int64_t n = 1 << 20;

struct step {
  template <class Neighbourhood>
  KOKKOS_INLINE_FUNCTION double operator()(const Neighbourhood& nb) const {
    return nb(0) + 0.25 * (nb(-1) - 2 * nb(0) + nb(1));
  }
};

// @DECLARATIONS@

[[maybe_unused]] int main_part(const weft::communicator& comm, int cpu_ranks) {
  // @BODY@
}
}  // namespace sample
