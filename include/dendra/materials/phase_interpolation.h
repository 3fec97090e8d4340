#pragma once

namespace dendra
{
  /// The interpolation h(xi) = xi^3 (6 xi^2 - 15 xi + 10) between electrolyte
  /// (xi = 0) and Li metal (xi = 1) of the phase-field model (PHYSICS.md
  /// Section 3): h(0) = 0, h(1) = 1, h' = 0 at both ends.
  inline double phase_interpolation(const double xi)
  {
    return xi * xi * xi * (6 * xi * xi - 15 * xi + 10);
  }

  /// dh/dxi = 30 xi^2 (1 - xi)^2.
  inline double phase_interpolation_d(const double xi)
  {
    return 30 * xi * xi * (1 - xi) * (1 - xi);
  }

  /// d^2h/dxi^2 = 60 xi (1 - xi) (1 - 2 xi).
  inline double phase_interpolation_dd(const double xi)
  {
    return 60 * xi * (1 - xi) * (1 - 2 * xi);
  }
} // namespace dendra
