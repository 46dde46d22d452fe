// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
#pragma once
// Reproducible sums: weft::reproducible_plus.
//
// Pass weft::reproducible_plus{} where weft::plus{} would go, with a float
// or double accumulator, to reduce, transform_reduce (sums and dot
// products, on views of rank 1, 2 and 3) or to the four scans; the
// distributed forms (<weft/distributed.hpp>) take it too, on vectors and
// grids. The result, and every prefix of a scan, is then bitwise the same
// for any number of threads, ranks and any partition, on Serial, OpenMP and
// CUDA (by construction; the CUDA path has not yet run on a GPU), and for
// any order of the input elements: it is a function of the multiset of
// values alone.
//
//   double s = weft::reduce(exec, x, 0.0, weft::reproducible_plus{});
//   double d = weft::transform_reduce(exec, x, y, 0.0, weft::reproducible_plus{}, weft::multiplies{});
//   weft::inclusive_scan(exec, x, prefix, weft::reproducible_plus{});
//
// Method: binned summation on a fixed grid, after ReproBLAS (Demmel, Ahrens
// and Nguyen, 2016). Every value is cut at fixed binary positions 32 bits
// apart into slices, and three bins below the top bin of the largest value
// are kept, as 64-bit integer counts: integer addition is exact, so the
// bins of a set of values do not depend on how it is split or ordered. The
// sum of the bins is converted to double within one ulp (faithfully), by a
// fixed formula of the bins alone. Error against the exact sum of n values
// (init counts as one): at most n * 2^-64 * max|x| plus one ulp of the
// result (double; for float the double result is rounded once more).
// Values far below the largest (by more than 2^64) are dropped.
// NaN and infinities give what IEEE addition would (NaN, or the infinity);
// an all-zero sum is +0. Up to 2^32 - 1 values per call (and init); more throws weft::error.
//
// Cost: one pass over memory, like the default sum: on host backends each
// block of 1024 values is deposited as it is read, with about ten
// vectorized operations per value, once it fits the window of the largest
// value so far (otherwise the block is first scanned for its largest
// exponent and read again from the cache). Scans read the input twice, as the default scan does
// on several threads, and convert every prefix (some 15 operations more). The mapped value of transform_reduce
// (x * y) is rounded to its type before it is summed; on CUDA weft keeps
// nvcc from fusing it into a multiply-add. On the host, build with FMA
// contraction off (GCC: -ffp-contract=off) if you enable FMA instructions
// (-march=haswell and later), so that host and device round alike.
//
// Integer sums, min/max, min_loc/max_loc and the bitwise operations are
// exact, so their results are reproducible with the default operations too.

#include "detail/config.hpp"  // first: the C++20 check

#include "functional.hpp"
#include "reduce.hpp"
#include "scan.hpp"
