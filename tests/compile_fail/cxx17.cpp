// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
// Must not compile below C++20, with one sentence (and no more errors).
#include <weft/weft.hpp>
int main() {}
