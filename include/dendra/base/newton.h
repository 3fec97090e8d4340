#pragma once

#include <dendra/base/linear_algebra.h>
#include <dendra/base/solvers.h>

#include <functional>
#include <string>

namespace dendra
{
  /// Settings of an inexact Newton iteration with a backtracking line search.
  struct NewtonSettings
  {
    unsigned int max_iterations = 30;    ///< iteration limit (-)
    double       tolerance      = 1e-10; ///< relative residual reduction (-)
    double maximum_forcing = 1e-2; ///< largest relative tolerance of a linear solve (-); 0 = always minimum_forcing
    double minimum_forcing = 1e-8; ///< smallest relative tolerance of a linear solve (-)
  };

  /// What a Newton iteration needs from a nonlinear problem R(x) = 0.
  struct NewtonProblem
  {
    /// Assembles the residual at the ghosted @p state and, if @p with_jacobian,
    /// the Jacobian; returns the residual norm.
    std::function<double(const LA::MPI::Vector &state, bool with_jacobian)> assemble;
    /// Solves the last assembled Jacobian for the update J dx = -R (owned
    /// vector) to the relative tolerance @p forcing; @p first_in_step is true
    /// for the first solve of a call of newton_solve(); returns the linear iterations.
    std::function<unsigned int(LA::MPI::Vector &update, double forcing, bool first_in_step)> solve;
    /// Optional: the line search tries state + @p step * update; unknowns
    /// outside the vector (e.g. electrode potentials) follow here.
    std::function<void(double step)> set_step;
  };

  /// Solves R(x) = 0 from the initial guess @p state (owned; the result on
  /// return) by Newton's method with Eisenstat-Walker forcing terms and a
  /// backtracking line search; @p ghosted is a ghosted work vector of the same
  /// layout (the solution with ghosts on return). Returns the Newton
  /// iterations (SolverReport::iterations) and linear iterations; throws
  /// std::runtime_error naming @p what if Newton fails.
  SolverReport newton_solve(const NewtonProblem &problem, LA::MPI::Vector &state, LA::MPI::Vector &ghosted,
                            const NewtonSettings &settings, const std::string &what);
} // namespace dendra
