// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
// The two names weft/detail/device_function.hpp takes from Kokkos, so that
// its check can be tested with nvcc alone, without a CUDA build of Kokkos.
#pragma once
namespace Kokkos {
struct HostSpace {};
struct CudaSpace {};
template <class Access, class Memory>
struct SpaceAccessibility {
  static constexpr bool accessible = true;
};
template <>
struct SpaceAccessibility<HostSpace, CudaSpace> {
  static constexpr bool accessible = false;
};
}  // namespace Kokkos
