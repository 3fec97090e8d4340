#pragma once

/// @file
/// The one switch between PETSc (default) and Trilinos (CMake option
/// DENDRA_LINEAR_ALGEBRA=Trilinos), as in deal.II's step-55. No other file
/// names PETSc or Trilinos types.

#include <deal.II/lac/generic_linear_algebra.h>

namespace dendra
{
  /// Distributed vectors, matrices and sparsity patterns of the chosen backend.
  namespace LA
  {
#ifdef DENDRA_USE_TRILINOS
    using namespace dealii::LinearAlgebraTrilinos;
    /// Name of the backend, for logs.
    inline constexpr const char *backend_name = "Trilinos";
#else
    using namespace dealii::LinearAlgebraPETSc;
    /// Name of the backend, for logs.
    inline constexpr const char *backend_name = "PETSc";
#endif
  } // namespace LA
} // namespace dendra
