// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
#pragma once
// The checksum weft stores with every dataset it writes and verifies when it
// reads one back: a function of the dataset's values and their positions
// alone, so it comes out the same bits whatever the rank count, partition,
// process grid, halo or memory space that computes it.
//
//   checksum = sum over elements e, mod 2^64, of hash(global index of e, value bytes of e)
//
// Each rank sums its own elements (in any order: integer addition is exact
// and commutative) and one MPI_Allreduce adds the ranks' sums. The hash is
// a chain of MurmurHash3's 64-bit finaliser over the element's value bytes
// (padding and members that are not stored count as zero), seeded by the
// index, so a value moved to another position, a zeroed block or a single
// flipped bit changes the sum except with probability about 2^-64.

#include "../../distributed/communicator.hpp"
#include "../../distributed/grid.hpp"
#include "../../distributed/vector.hpp"
#include "../types.hpp"
#include "h5.hpp"

#include <Kokkos_Core.hpp>
#include <hdf5.h>
#include <mpi.h>

#include <cstddef>
#include <cstdint>
#include <vector>

namespace weft::detail {

/// Names of the attributes that hold the checksum and say how it was made.
inline constexpr const char* h5_checksum_attribute = "weft_checksum";
inline constexpr const char* h5_checksum_algorithm_attribute = "weft_checksum_algorithm";
inline constexpr const char* h5_checksum_algorithm = "weft-sum64-murmur3 1";

KOKKOS_INLINE_FUNCTION std::uint64_t checksum_mix(std::uint64_t x) {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdull;
  x ^= x >> 33;
  x *= 0xc4ceb9fe1a85ec53ull;
  x ^= x >> 33;
  return x;
}

/// The hash of one element at a global index. The value's bytes are read in
/// memory order into little-endian words, so the hash is defined on the
/// byte sequence; `mask` keeps the bytes that hold the value.
template <class T>
struct h5_element_hash {
  static constexpr int words = static_cast<int>((sizeof(T) + 7) / 8);
  Kokkos::Array<std::uint64_t, static_cast<std::size_t>(words)> mask;

  KOKKOS_INLINE_FUNCTION std::uint64_t operator()(const T& value, std::uint64_t index) const {
    const unsigned char* bytes = reinterpret_cast<const unsigned char*>(&value);
    std::uint64_t h = index * 0x9e3779b97f4a7c15ull + 0x6a09e667f3bcc909ull;
    for (int k = 0; k < words; ++k) {
      std::uint64_t w = 0;
      for (int b = 0; b < 8 && 8 * k + b < static_cast<int>(sizeof(T)); ++b)
        w |= static_cast<std::uint64_t>(bytes[8 * k + b]) << (8 * b);
      h = checksum_mix(h ^ (w & mask[k]));
    }
    return h;
  }
};

/// Marks the bytes of one value of HDF5 type `type`, at `base`, in `mask`:
/// numbers whole, arrays element by element, compounds member by member
/// (what lies between or after members is not data).
inline void h5_mark_value_bytes(hid_t type, std::size_t base, std::vector<unsigned char>& mask) {
  const std::size_t size = H5Tget_size(type);
  switch (H5Tget_class(type)) {
    case H5T_COMPOUND: {
      const int n = H5Tget_nmembers(type);
      for (int m = 0; m < n; ++m) {
        const h5_handle member(H5Tget_member_type(type, static_cast<unsigned>(m)), H5Tclose);
        h5_mark_value_bytes(member.get(), base + H5Tget_member_offset(type, static_cast<unsigned>(m)), mask);
      }
      return;
    }
    case H5T_ARRAY: {
      const h5_handle element(H5Tget_super(type), H5Tclose);
      const std::size_t step = H5Tget_size(element.get());
      for (std::size_t at = 0; step > 0 && at + step <= size; at += step)
        h5_mark_value_bytes(element.get(), base + at, mask);
      return;
    }
    default:
      for (std::size_t b = base; b < base + size && b < mask.size(); ++b) mask[b] = 0xff;
  }
}

/// The element hash for T, its mask read off T's HDF5 memory type.
template <class T>
h5_element_hash<T> h5_element_hash_for(h5_calls& calls) {
  h5_element_hash<T> hash{};
  std::vector<unsigned char> bytes(sizeof(T), 0);
  const h5_handle type = h5_memory_type<T>(calls);
  if (type.valid()) h5_mark_value_bytes(type.get(), 0, bytes);
  for (std::size_t b = 0; b < sizeof(T); ++b) hash.mask[b / 8] |= static_cast<std::uint64_t>(bytes[b]) << (8 * (b % 8));
  return hash;
}

/// This rank's part of the checksum of x's owned elements, computed where
/// they live (a kernel on x's execution space); waits for it.
template <class X>
std::uint64_t h5_local_checksum(const X& x, const h5_element_hash<typename X::value_type>& hash) {
  using exec = typename X::execution_space;
  std::uint64_t sum = 0;
  if constexpr (distributed<X>) {
    const auto v = x.local_with_ghosts();
    const std::int64_t g = x.ghost_width(), first = x.offset();
    Kokkos::parallel_reduce(
        "weft::hdf5::checksum", Kokkos::RangePolicy<exec>(exec(), 0, x.local_size()),
        KOKKOS_LAMBDA(std::int64_t i, std::uint64_t & s) {
          s += hash(v(g + i), static_cast<std::uint64_t>(first + i));
        },
        sum);
  } else if constexpr (X::rank == 2) {
    const auto v = x.with_halo();
    const std::int64_t h = x.halo_width(), o0 = x.offset(0), o1 = x.offset(1), n1 = x.global_extent(1);
    Kokkos::parallel_reduce(
        "weft::hdf5::checksum",
        Kokkos::MDRangePolicy<exec, Kokkos::Rank<2>>(exec(), {0, 0}, {x.local_extent(0), x.local_extent(1)}),
        KOKKOS_LAMBDA(std::int64_t i, std::int64_t j, std::uint64_t & s) {
          s += hash(v(h + i, h + j), static_cast<std::uint64_t>((o0 + i) * n1 + o1 + j));
        },
        sum);
  } else {
    const auto v = x.with_halo();
    const std::int64_t h = x.halo_width(), o0 = x.offset(0), o1 = x.offset(1), o2 = x.offset(2);
    const std::int64_t n1 = x.global_extent(1), n2 = x.global_extent(2);
    Kokkos::parallel_reduce(
        "weft::hdf5::checksum",
        Kokkos::MDRangePolicy<exec, Kokkos::Rank<3>>(exec(), {0, 0, 0},
                                                     {x.local_extent(0), x.local_extent(1), x.local_extent(2)}),
        KOKKOS_LAMBDA(std::int64_t i, std::int64_t j, std::int64_t k, std::uint64_t & s) {
          s += hash(v(h + i, h + j, h + k), static_cast<std::uint64_t>(((o0 + i) * n1 + o1 + j) * n2 + o2 + k));
        },
        sum);
  }
  exec().fence();
  return sum;
}

/// Collective: the sum of the ranks' parts (exact, any order).
inline std::uint64_t h5_sum_over_ranks(const communicator& comm, std::uint64_t mine, const char* algorithm) {
  std::uint64_t total = 0;
  check_mpi(MPI_Allreduce(&mine, &total, 1, MPI_UINT64_T, MPI_SUM, comm.native()), "MPI_Allreduce", algorithm);
  return total;
}

}  // namespace weft::detail
