#pragma once

#include <deal.II/base/parameter_handler.h>

#include <array>
#include <string>

namespace dendra
{
  /// Coefficients of implicit BDF1 or variable-step BDF2 for du/dt = f(u):
  /// (a0 u^{n+1} + a1 u^n + a2 u^{n-1}) / dt_n = f(u^{n+1}), with
  /// omega = dt_n / dt_{n-1}: a0 = (1 + 2 omega)/(1 + omega), a1 = -(1 + omega),
  /// a2 = omega^2 / (1 + omega) (BDF1: 1, -1, 0).
  struct BDFCoefficients
  {
    std::array<double, 3> a{{1.0, -1.0, 0.0}}; ///< a0, a1, a2 (-)
    unsigned int          order = 1;           ///< 1 or 2

    /// BDF of @p order for the step @p dt after the step @p previous_dt (s);
    /// order 2 falls back to 1 when there is no previous step (previous_dt <= 0).
    static BDFCoefficients make(unsigned int order, double dt, double previous_dt);
  };

  /// Chooses the next time step from a local error estimate and the Newton
  /// iteration count, and rejects steps whose error is too large. Steps shrink
  /// by Failure factor after a failed solve.
  class TimeStepController
  {
  public:
    /// Declares subsection "Time stepping".
    static void declare_parameters(dealii::ParameterHandler &prm);
    /// Reads subsection "Time stepping".
    void parse_parameters(dealii::ParameterHandler &prm);

    /// What to do with a step that converged with @p newton_iterations and a
    /// relative local error estimate @p error (<= 0: none available).
    struct Decision
    {
      bool   accept;  ///< keep the step (false: redo it with next_dt)
      double next_dt; ///< step size for the next (or repeated) step (s)
    };
    /// Decides after a converged step of size @p dt; the error estimate is of
    /// order @p error_order (0: the BDF order), so that the step scales by
    /// (tolerance / error)^(1 / (error_order + 1)).
    Decision after_converged_step(double dt, double error, unsigned int newton_iterations,
                                  unsigned int error_order = 0) const;
    /// Step size to retry with after a failed (diverged) solve of size @p dt;
    /// throws std::runtime_error naming @p where if it would fall below the minimum.
    double after_failed_step(double dt, const std::string &where) const;

    unsigned int order             = 2;    ///< BDF order, 1 or 2
    double       initial_dt        = 1.0;  ///< first step (s)
    double       min_dt            = 1e-9; ///< smallest step before giving up (s)
    double       max_dt            = 1e30; ///< largest step (s)
    bool         adaptive          = true; ///< adapt dt by error estimate and Newton iterations
    double       tolerance         = 1e-4; ///< target relative local error (-)
    double       safety            = 0.9;  ///< safety factor of the error controller (-)
    double       max_growth        = 2.0;  ///< largest ratio dt_new / dt (-)
    double       failure_factor    = 0.25; ///< dt multiplier after a failed solve (-)
    unsigned int target_iterations = 6;    ///< Newton iterations above which dt shrinks (-)
  };
} // namespace dendra
