#include <dendra/base/exceptions.h>
#include <dendra/base/parameters.h>
#include <dendra/base/time_stepping.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace dendra
{
  using namespace dealii;

  BDFCoefficients BDFCoefficients::make(const unsigned int order, const double dt, const double previous_dt)
  {
    BDFCoefficients c;
    if (order == 1 || previous_dt <= 0)
      return c;
    const double omega = dt / previous_dt;
    c.order            = 2;
    c.a                = {{(1 + 2 * omega) / (1 + omega), -(1 + omega), omega * omega / (1 + omega)}};
    return c;
  }

  void TimeStepController::declare_parameters(ParameterHandler &prm)
  {
    prm.enter_subsection("Time stepping");
    prm.declare_entry("BDF order", "2", Patterns::Integer(1, 2), "Order of the implicit BDF scheme (-): 1 or 2.");
    prm.declare_entry("Initial time step", "1", Patterns::Double(0), "First step size (s), > 0.");
    prm.declare_entry("Minimum time step", "1e-9", Patterns::Double(0),
                      "Smallest step (s); a solve that fails at this size stops the run with a message.");
    prm.declare_entry("Maximum time step", "1e30", Patterns::Double(0), "Largest step (s).");
    prm.declare_entry("Adaptive time stepping", "true", Patterns::Bool(),
                      "Adapt the step by the local error estimate and the Newton iteration count.");
    prm.declare_entry("Error tolerance", "1e-4", Patterns::Double(0),
                      "Target relative local error per step (-); larger errors reject the step.");
    prm.declare_entry("Safety factor", "0.9", Patterns::Double(0, 1), "Safety factor of the step controller (-).");
    prm.declare_entry("Maximum growth", "2", Patterns::Double(1), "Largest ratio of consecutive steps (-), >= 1.");
    prm.declare_entry("Failure factor", "0.25", Patterns::Double(0, 1),
                      "Step multiplier after a failed (diverged) solve (-), in (0, 1).");
    prm.declare_entry("Target Newton iterations", "6", Patterns::Integer(1),
                      "Above this many Newton iterations the next step shrinks (-).");
    prm.leave_subsection();
  }

  void TimeStepController::parse_parameters(ParameterHandler &prm)
  {
    prm.enter_subsection("Time stepping");
    order             = prm.get_integer("BDF order");
    initial_dt        = prm.get_double("Initial time step");
    min_dt            = prm.get_double("Minimum time step");
    max_dt            = prm.get_double("Maximum time step");
    adaptive          = prm.get_bool("Adaptive time stepping");
    tolerance         = prm.get_double("Error tolerance");
    safety            = prm.get_double("Safety factor");
    max_growth        = prm.get_double("Maximum growth");
    failure_factor    = prm.get_double("Failure factor");
    target_iterations = prm.get_integer("Target Newton iterations");
    prm.leave_subsection();
    require_input(initial_dt > 0, "Time stepping/Initial time step = " + format_number(initial_dt) + " s must be > 0");
    require_input(min_dt > 0 && min_dt <= max_dt, "Time stepping/Minimum time step = " + format_number(min_dt) +
                                                    " s must be > 0 and <= Maximum time step");
    require_input(failure_factor > 0 && failure_factor < 1,
                  "Time stepping/Failure factor = " + format_number(failure_factor) + " must be in (0, 1)");
  }

  TimeStepController::Decision TimeStepController::after_converged_step(const double dt, const double error,
                                                                        const unsigned int newton_iterations,
                                                                        const unsigned int error_order) const
  {
    if (!adaptive)
      return {true, dt};
    double             factor   = max_growth;
    const unsigned int exponent = (error_order > 0 ? error_order : order) + 1;
    if (error > 0)
      factor = std::min(factor, safety * std::pow(tolerance / error, 1.0 / exponent));
    if (newton_iterations > target_iterations)
      factor = std::min(factor, 0.5);
    const double next = std::clamp(dt * std::max(factor, 0.1), min_dt, max_dt);
    return {error <= tolerance || dt <= min_dt, next};
  }

  double TimeStepController::after_failed_step(const double dt, const std::string &where) const
  {
    const double next = dt * failure_factor;
    if (next < min_dt)
      throw std::runtime_error(where + ": the solve failed even at time step " + format_number(dt) +
                               " s; giving up (Time stepping/Minimum time step = " + format_number(min_dt) + " s)");
    return next;
  }
} // namespace dendra
