#pragma once

#include <cstdint>
#include <random>

namespace dendra
{
  /// Uniform numbers in [0, 1) that repeat on every platform for a seed:
  /// mt19937_64's sequence is fixed by the C++ standard and the scaling to
  /// [0, 1) is ours (std::uniform_real_distribution's is not portable).
  /// For random but reproducible layouts of geometry plugins.
  class SeededUniform
  {
  public:
    /// A stream started from @p seed.
    explicit SeededUniform(const std::uint64_t seed)
      : engine(seed)
    {}
    /// The next number, the top 53 bits of the engine's output (-).
    double operator()() { return static_cast<double>(engine() >> 11) * 0x1.0p-53; }

  private:
    std::mt19937_64 engine;
  };
} // namespace dendra
