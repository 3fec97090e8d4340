#pragma once

#include <dendra/base/solvers.h>
#include <dendra/fields/field.h>

#include <stdexcept>
#include <utility>
#include <vector>

namespace dendra
{
  /// A field that evolves in time by implicit steps that can be rejected and
  /// retried (Transport, Electrodeposition): what the Simulator's time loop
  /// needs besides the Field lifecycle.
  template <int dim>
  class TransientField : public Field<dim>
  {
  public:
    using Field<dim>::Field;

    /// One implicit step from the current time to time + @p dt (s), BDF of
    /// @p order; returns the Newton (and linear) iterations. Throws
    /// std::runtime_error if the nonlinear solve fails; the state is then unchanged.
    virtual SolverReport advance(double dt, unsigned int order) = 0;
    /// Undoes the last advance() (or end_step()).
    virtual void reject_step() = 0;
    /// Starts an implicit step of @p dt (s) and BDF @p order whose solution a
    /// coupling scheme finds through the Newton block hooks (the monolithic
    /// scheme): the time moves to the end of the step, the solution is its
    /// first iterate. Only for fields with has_newton_block().
    virtual void begin_step(double dt, unsigned int order)
    {
      (void)dt, (void)order;
      throw std::logic_error("field '" + this->name() + "' has no Newton block");
    }
    /// Accepts the current solution as the step begun by begin_step(), which
    /// took @p report's iterations: what advance() does after its Newton solve.
    virtual void end_step(const SolverReport &report)
    {
      (void)report;
      throw std::logic_error("field '" + this->name() + "' has no Newton block");
    }
    /// Abandons the step begun by begin_step(): back to its start.
    virtual void cancel_step() { throw std::logic_error("field '" + this->name() + "' has no Newton block"); }
    /// The current state becomes a restart point (BDF1 next, no extrapolation across it).
    virtual void forget_history() = 0;
    /// Local error estimate of the last step (-) and its order; {-1, 0} if none.
    virtual std::pair<double, unsigned int> local_error_estimate() const = 0;
    /// The time of the current state (s).
    double current_time() const { return this->time; }
    /// Not used by transient fields: they advance().
    SolverReport solve() override
    {
      throw std::logic_error("a transient field is advanced in time: call advance(dt, order)");
    }
  };
} // namespace dendra
