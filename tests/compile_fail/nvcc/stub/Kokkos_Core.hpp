// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
// The names weft/detail/device_function.hpp takes from Kokkos, so that its
// check can be tested with nvcc alone, without a CUDA build of Kokkos.
// As in Kokkos, a space reaches its own memory; the host also reaches
// CudaUVMSpace, which the device cannot use to reach the host.
#pragma once
namespace Kokkos {
struct HostSpace {};
struct CudaSpace {};
struct CudaUVMSpace {};
template <class Access, class Memory>
struct SpaceAccessibility {
  static constexpr bool accessible = false;
};
template <class Access>
struct SpaceAccessibility<Access, typename Access::memory_space> {
  static constexpr bool accessible = true;
};
template <>
struct SpaceAccessibility<HostSpace, HostSpace> {
  static constexpr bool accessible = true;
};
template <>
struct SpaceAccessibility<HostSpace, CudaUVMSpace> {
  static constexpr bool accessible = true;
};
}  // namespace Kokkos
