#include <dendra/base/newton.h>

#include <algorithm>
#include <cmath>
#include <sstream>
#include <stdexcept>

namespace dendra
{
  namespace
  {
    /// Eisenstat and Walker (SIAM J. Sci. Comput. 17, 16, 1996), choice 2:
    /// far from the solution a linear solve only needs to reduce the residual
    /// by a moderate factor; the forcing term tightens as Newton converges.
    double next_forcing(const double previous, const double residual, const double previous_residual,
                        const NewtonSettings &settings)
    {
      double forcing = 0.9 * std::pow(residual / previous_residual, 2);
      if (0.9 * previous * previous > 0.1)
        forcing = std::max(forcing, 0.9 * previous * previous);
      return std::min(forcing, settings.maximum_forcing);
    }
  } // namespace

  SolverReport newton_solve(const NewtonProblem &problem, LA::MPI::Vector &state, LA::MPI::Vector &ghosted,
                            const NewtonSettings &settings, const std::string &what)
  {
    LA::MPI::Vector update(state), trial(state);
    ghosted                       = state;
    double       initial_residual = 0, residual = 0, previous_residual = 0;
    double       forcing = settings.maximum_forcing;
    SolverReport report;
    bool         converged = false, jacobian_is_current = false;
    for (unsigned int it = 1; it <= settings.max_iterations && !converged; ++it)
      {
        if (!jacobian_is_current)
          {
            const double norm = problem.assemble(ghosted, true);
            if (it == 1) // the first Jacobian assembly also gives the initial residual
              initial_residual = residual = norm;
          }
        if (it == 1 && residual == 0)
          return report;
        if (it > 1)
          forcing = next_forcing(forcing, residual, previous_residual, settings);
        // No more accuracy than the Newton tolerance asks for.
        forcing = std::max({forcing, settings.minimum_forcing, 0.5 * settings.tolerance * initial_residual / residual});
        update  = 0;
        report.linear_iterations += problem.solve(update, forcing, it == 1);

        // The full step is evaluated with the Jacobian when another Newton
        // iteration is expected (it needs that Jacobian if the step is
        // taken): predicted residual = forcing + the quadratic contraction
        // seen last time. A residual alone suffices for the last iteration.
        const bool expect_more = it == 1 || residual * (forcing + std::pow(residual / previous_residual, 2)) >
                                              settings.tolerance * initial_residual;
        previous_residual = residual;

        // Backtracking line search on the residual norm.
        double step = 1, trial_residual = 0;
        for (unsigned int k = 0;; ++k)
          {
            trial = state;
            trial.add(step, update);
            ghosted = trial;
            if (problem.set_step)
              problem.set_step(step);
            jacobian_is_current = (k == 0 && expect_more);
            trial_residual      = problem.assemble(ghosted, jacobian_is_current);
            if (trial_residual < (1 - 1e-4 * step) * residual || k == 9)
              break;
            step /= 2;
          }
        state             = trial;
        residual          = trial_residual;
        report.iterations = it;
        converged         = residual <= settings.tolerance * initial_residual ||
                    update.linfty_norm() * step <= 1e-12 * std::max(1.0, state.linfty_norm());
      }
    if (!converged || !std::isfinite(residual))
      {
        std::ostringstream message;
        message << what << ": Newton did not converge in " << settings.max_iterations
                << " iterations (residual reduced by " << residual / initial_residual << ")";
        throw std::runtime_error(message.str());
      }
    return report;
  }
} // namespace dendra
