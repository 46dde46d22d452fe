// Image filtering over many devices: a Gaussian blur and a Sobel edge
// filter as distributed stencils.
//
//   mpiexec -n 4 image_filter [image.png | image.pgm | --generate N] [prefix]
//
// Rank 0 reads the image (PNG through libpng, or PGM; colour is turned to
// grey) or, with --generate N (the default, N = 512), draws an N x N test
// picture. weft::scatter spreads it over a distributed grid, each rank
// holding one block of a Cartesian process grid. Then
//
//   blur  = 5 x 5 binomial Gaussian (radius 2), clamped at the image edges,
//   edges = |Sobel gradient| of the blurred image (radius 1, reads diagonal
//           neighbours, so its input grid exchanges corner halos too),
//
// each one weft::stencil that exchanges the halo while it filters the
// interior of each block. The results are gathered on rank 0 and written to
// <prefix>-blur.png and <prefix>-edges.png (.pgm with a prefix ending in .pgm).
//
// Checks (exit 1 if any fails): both filtered images equal a plain
// sequential filtering of the same input on rank 0, and the edge image is
// not blank.
#include <weft/distributed.hpp>

#include "image_io.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {
using image = weft::distributed_grid<float, 2>;

// Binomial weights 1 4 6 4 1 (/16): a Gaussian of variance 1 in each direction.
KOKKOS_INLINE_FUNCTION float binomial(int k) {
  constexpr float w[5] = {1.0f, 4.0f, 6.0f, 4.0f, 1.0f};
  return w[k + 2] / 16.0f;
}

// Functors rather than generic KOKKOS_LAMBDAs: nvcc rejects generic device lambdas.
struct gaussian_blur {
  template <class Neighbourhood>
  KOKKOS_INLINE_FUNCTION float operator()(const Neighbourhood& nb) const {
    float sum = 0.0f;
    for (int di = -2; di <= 2; ++di)
      for (int dj = -2; dj <= 2; ++dj) sum += binomial(di) * binomial(dj) * nb(di, dj);
    return sum;
  }
};

struct sobel_magnitude {
  template <class Neighbourhood>
  KOKKOS_INLINE_FUNCTION float operator()(const Neighbourhood& nb) const {
    const float gx = (nb(-1, 1) + 2 * nb(0, 1) + nb(1, 1)) - (nb(-1, -1) + 2 * nb(0, -1) + nb(1, -1));
    const float gy = (nb(1, -1) + 2 * nb(1, 0) + nb(1, 1)) - (nb(-1, -1) + 2 * nb(-1, 0) + nb(-1, 1));
    return std::sqrt(gx * gx + gy * gy);
  }
};

// A test picture with flat areas, straight and curved edges and a ramp.
image_io::gray_image generate(std::int64_t n) {
  image_io::gray_image img{n, n, std::vector<std::uint8_t>(n * n)};
  for (std::int64_t i = 0; i < n; ++i)
    for (std::int64_t j = 0; j < n; ++j) {
      const double y = (i + 0.5) / n, x = (j + 0.5) / n;
      double v = 40 + 60 * x;                                                         // ramp
      if ((x - 0.35) * (x - 0.35) + (y - 0.4) * (y - 0.4) < 0.2 * 0.2) v = 230;      // disc
      if (x > 0.6 && x < 0.9 && y > 0.55 && y < 0.85) v = 15;                         // square
      if (y > 0.1 && y < 0.2 && static_cast<int>(x * 16) % 2 == 0) v = 180;          // stripes
      img.pixels[i * n + j] = static_cast<std::uint8_t>(v);
    }
  return img;
}

// Plain loops with the same arithmetic, in the same order, as the functors.
std::vector<float> blur_sequentially(const std::vector<float>& in, std::int64_t h, std::int64_t w) {
  std::vector<float> out(in.size());
  auto at = [&](std::int64_t i, std::int64_t j) {
    return in[std::clamp<std::int64_t>(i, 0, h - 1) * w + std::clamp<std::int64_t>(j, 0, w - 1)];
  };
  for (std::int64_t i = 0; i < h; ++i)
    for (std::int64_t j = 0; j < w; ++j) {
      float sum = 0.0f;
      for (int di = -2; di <= 2; ++di)
        for (int dj = -2; dj <= 2; ++dj) sum += binomial(di) * binomial(dj) * at(i + di, j + dj);
      out[i * w + j] = sum;
    }
  return out;
}

std::vector<float> sobel_sequentially(const std::vector<float>& in, std::int64_t h, std::int64_t w) {
  std::vector<float> out(in.size());
  auto at = [&](std::int64_t i, std::int64_t j) {
    return in[std::clamp<std::int64_t>(i, 0, h - 1) * w + std::clamp<std::int64_t>(j, 0, w - 1)];
  };
  for (std::int64_t i = 0; i < h; ++i)
    for (std::int64_t j = 0; j < w; ++j) {
      const float gx = (at(i - 1, j + 1) + 2 * at(i, j + 1) + at(i + 1, j + 1)) -
                       (at(i - 1, j - 1) + 2 * at(i, j - 1) + at(i + 1, j - 1));
      const float gy = (at(i + 1, j - 1) + 2 * at(i + 1, j) + at(i + 1, j + 1)) -
                       (at(i - 1, j - 1) + 2 * at(i - 1, j) + at(i - 1, j + 1));
      out[i * w + j] = std::sqrt(gx * gx + gy * gy);
    }
  return out;
}

// Values scaled by 255 / `top` and rounded into 8-bit pixels.
image_io::gray_image to_pixels(const std::vector<float>& values, std::int64_t h, std::int64_t w, float top) {
  image_io::gray_image img{h, w, std::vector<std::uint8_t>(values.size())};
  for (std::size_t k = 0; k < values.size(); ++k)
    img.pixels[k] = static_cast<std::uint8_t>(std::lround(std::clamp(values[k] * 255.0f / top, 0.0f, 255.0f)));
  return img;
}

float max_difference(const std::vector<float>& a, const std::vector<float>& b) {
  float d = 0;
  for (std::size_t k = 0; k < a.size(); ++k) d = std::max(d, std::abs(a[k] - b[k]));
  return d;
}
}  // namespace

int main(int argc, char* argv[]) {
  weft::environment env(argc, argv);  // MPI, then Kokkos, until main returns
  const weft::communicator& comm = env.world();
  const bool root = comm.rank() == 0;

  // Arguments: an image file, or --generate N; then the output prefix.
  std::string source = "--generate", prefix = "image_filter";
  std::int64_t generated_size = 512;
  int next_arg = 1;
  if (argc > next_arg) {
    source = argv[next_arg++];
    if (source == "--generate" && argc > next_arg) generated_size = std::atoll(argv[next_arg++]);
  }
  if (argc > next_arg) prefix = argv[next_arg++];
  const std::string extension = image_io::ends_with(prefix, ".pgm") ? ".pgm" : ".png";
  if (extension == ".pgm") prefix.resize(prefix.size() - 4);

  // Rank 0 reads or draws the picture; every rank learns its size.
  image_io::gray_image input;
  std::int64_t size[2] = {0, 0};
  int read_ok = 1;
  if (root) {
    try {
      input = source == "--generate" ? generate(generated_size) : image_io::read_gray(source);
      size[0] = input.height;
      size[1] = input.width;
    } catch (const std::exception& e) {
      std::fprintf(stderr, "image_filter: %s\n", e.what());
      read_ok = 0;
    }
  }
  MPI_Bcast(&read_ok, 1, MPI_INT, 0, MPI_COMM_WORLD);
  if (!read_ok) return 1;
  MPI_Bcast(size, 2, MPI_INT64_T, 0, MPI_COMM_WORLD);
  const std::int64_t h = size[0], w = size[1];

  // The blur reads 2 cells away, the Sobel filter diagonal neighbours: the
  // input carries a 2-wide halo, the blurred image a 1-wide one with corners.
  image original(comm, {h, w}, {.halo = 2});
  image blurred(comm, {h, w}, {.halo = 1});
  image edges(comm, {h, w}, {.halo = 0});
  if (root) {
    std::printf("image_filter: %s, %lld x %lld pixels, %d ranks as a %d x %d process grid, on %s\n",
                source == "--generate" ? "generated test picture" : source.c_str(), static_cast<long long>(h),
                static_cast<long long>(w), comm.size(), original.dims()[0], original.dims()[1],
                Kokkos::DefaultExecutionSpace::name());
  }
  std::vector<float> values;
  if (root) values.assign(input.pixels.begin(), input.pixels.end());
  weft::scatter(values, original, 0);

  Kokkos::Timer timer;
  weft::stencil(original, blurred, 2, weft::clamp{}, gaussian_blur{});
  Kokkos::fence();
  const double blur_seconds = timer.seconds();
  if (root) std::printf("  blurred (5 x 5 Gaussian) in %.4f s\n", blur_seconds);
  timer.reset();
  weft::stencil(blurred, edges, 1, weft::clamp{}, sobel_magnitude{});
  Kokkos::fence();
  const double sobel_seconds = timer.seconds();
  const auto strongest = weft::max_loc(edges);
  if (root) {
    std::printf("  edges (Sobel) in %.4f s; strongest %.1f at (%lld, %lld)\n", sobel_seconds, strongest.value,
                static_cast<long long>(strongest.index[0]), static_cast<long long>(strongest.index[1]));
  }

  const auto blur_result = weft::gather(blurred, 0);
  const auto edge_result = weft::gather(edges, 0);
  int ok = 1;
  if (root) {
    const std::string blur_path = prefix + "-blur" + extension, edge_path = prefix + "-edges" + extension;
    image_io::write_gray(blur_path, to_pixels(blur_result, h, w, 255.0f));
    image_io::write_gray(edge_path, to_pixels(edge_result, h, w, std::max(strongest.value, 1.0f)));
    if (source == "--generate") image_io::write_gray(prefix + "-input" + extension, input);
    std::printf("  wrote %s and %s\n", blur_path.c_str(), edge_path.c_str());

    const std::vector<float> in(input.pixels.begin(), input.pixels.end());
    const auto blur_reference = blur_sequentially(in, h, w);
    const auto edge_reference = sobel_sequentially(blur_reference, h, w);
    // Float sums in the same order: equal but for contractions into fused
    // multiply-adds that a device compiler may make.
    const float blur_error = max_difference(blur_result, blur_reference);
    const float edge_error = max_difference(edge_result, edge_reference);
    const bool blur_ok = blur_error <= 1e-3f, edge_ok = edge_error <= 1e-2f;
    const bool not_blank = h * w == 0 || strongest.value > 1.0f || source != "--generate";
    std::printf("max difference from the sequential filters: blur %.2e, edges %.2e: %s\n", blur_error, edge_error,
                blur_ok && edge_ok ? "ok" : "WRONG");
    if (!not_blank) std::printf("the edge image of the test picture is blank: WRONG\n");
    std::printf("%.1f Mpixel/s blur, %.1f Mpixel/s Sobel (%d ranks)\n", h * w / std::max(blur_seconds, 1e-9) / 1e6,
                h * w / std::max(sobel_seconds, 1e-9) / 1e6, comm.size());
    ok = blur_ok && edge_ok && not_blank;
  }
  MPI_Bcast(&ok, 1, MPI_INT, 0, MPI_COMM_WORLD);
  return ok ? 0 : 1;
}
