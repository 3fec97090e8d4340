#include <dendra/base/exceptions.h>
#include <dendra/base/parameters.h>
#include <dendra/coupling/time_loop.h>

#include <algorithm>
#include <iomanip>
#include <istream>
#include <ostream>
#include <sstream>
#include <stdexcept>

namespace dendra
{
  void LoopState::save(std::ostream &out) const
  {
    out << std::setprecision(17) << "step " << step << "\ntime " << time << "\nnext_dt " << next_dt << "\nrestart "
        << restart << "\n";
  }

  void LoopState::load(std::istream &in)
  {
    std::string word;
    in >> word >> step >> word >> time >> word >> next_dt >> word >> restart;
  }

  template <int dim>
  TimeLoop<dim>::TimeLoop(CoupledStep<dim> &schemes, const TimeStepController &time_stepper,
                          const CurrentProgram &program, const Settings &settings, const Run &run)
    : schemes(schemes)
    , time_stepper(time_stepper)
    , program(program)
    , settings(settings)
    , hooks(run)
  {}

  template <int dim>
  void TimeLoop<dim>::run(const LoopState &start)
  {
    if (schemes.transient_field())
      run_transient(start);
    else
      run_quasi_static(start.step + 1);
  }

  template <int dim>
  void TimeLoop<dim>::run_quasi_static(const unsigned int first_step)
  {
    const double                                end_time = settings.end_time;
    const auto                                  n_steps  = settings.n_steps;
    const bool                                  adaptive = settings.adaptation_interval > 0;
    const typename CoupledStep<dim>::Adaptation adaptation{settings.adaptive_cycles, adaptive ? settings.redo_limit : 0,
                                                           hooks.adapt_mesh, hooks.under_resolved};
    for (unsigned int step = first_step; step <= n_steps; ++step)
      {
        const double time = end_time * step / n_steps;
        try
          {
            schemes.advance_quasi_static(end_time * (step - 1) / n_steps, time, adaptation, hooks.log);
          }
        catch (const InputError &)
          {
            throw;
          }
        catch (const std::exception &e)
          {
            throw std::runtime_error("step " + std::to_string(step) + " (t = " + format_number(time) +
                                     " s): " + one_line_message(e));
          }
        AcceptedStep accepted;
        accepted.state = {step, time, 0, true};
        accepted.dt    = end_time / n_steps;
        std::ostringstream head;
        head << "step " << step << "/" << n_steps << "  t = " << time << " s  dt = " << accepted.dt << " s";
        accepted.head     = head.str();
        const bool failed = hooks.record(accepted);
        if (adaptive && step % settings.adaptation_interval == 0 && step < n_steps)
          hooks.adapt_mesh(); // refine ahead of the cracks, coarsen behind; the next step solves on the new mesh
        if (hooks.finish(accepted, failed))
          break;
      }
  }

  template <int dim>
  void TimeLoop<dim>::run_transient(const LoopState &start)
  {
    TransientField<dim> &transient = *schemes.transient_field();
    const double         end_time  = settings.end_time;
    double               time = start.time, dt = start.next_dt;
    if (start.step == 0)
      schemes.solve_partners(time); // stack pressure acts from the first step
    unsigned int step = start.step, rejected = 0;
    bool         restart = start.restart; // BDF1 after a jump of the applied current
    // A failed solve is retried smaller; after_failed_step() gives up below the minimum step.
    const auto retry_smaller = [&](const std::string &what) {
      dt = time_stepper.after_failed_step(dt, what);
      hooks.log("  retrying " + what + "; dt cut to " + format_number(dt) + " s");
      ++rejected;
    };
    const auto where = [&](const double t) {
      return "step " + std::to_string(step + 1) + " (t = " + format_number(t) + " s): ";
    };
    while (time < end_time * (1 - 1e-12))
      {
        dt                       = std::min(dt, end_time - time);
        const double next_change = program.next_change(time);
        dt                       = std::min(dt, next_change - time); // land on current changes
        SolverReport report;
        if (restart)
          transient.forget_history(); // no extrapolation across a jump of the current
        try
          {
            report = schemes.advance_transient(dt, restart ? 1 : time_stepper.order);
          }
        catch (const InputError &)
          {
            throw;
          }
        catch (const std::exception &e)
          {
            retry_smaller(where(time) + one_line_message(e));
            continue;
          }
        const auto [error, error_order] = transient.local_error_estimate();
        const auto decision             = time_stepper.after_converged_step(dt, error, report.iterations, error_order);
        if (!decision.accept)
          {
            schemes.undo_transient_step(time); // the local error is too large: redo it smaller
            dt = decision.next_dt;
            ++rejected;
            continue;
          }
        try
          {
            schemes.solve_quasi_static_at(time + dt, dt); // quasi-static fields at the new time
          }
        catch (const InputError &)
          {
            throw;
          }
        catch (const std::exception &e)
          {
            // A crack that does not settle within the step: undo the step, retry smaller.
            schemes.undo_transient_step(time);
            retry_smaller(where(time + dt) + one_line_message(e));
            continue;
          }
        time += dt;
        restart = (time >= next_change * (1 - 1e-12));
        ++step;
        // A jump of the current starts a new boundary layer: start small again.
        const double       next_dt = restart ? time_stepper.initial_dt : decision.next_dt;
        std::ostringstream head;
        head << "step " << step << "  t = " << time << " s  dt = " << dt << " s  Newton " << report.iterations
             << "  rejected " << rejected;
        const AcceptedStep accepted{{step, time, next_dt, restart}, dt, true, report, rejected, head.str()};
        const bool         failed = hooks.record(accepted);
        if (settings.adaptation_interval > 0 && step % settings.adaptation_interval == 0)
          {
            hooks.adapt_mesh();           // the fields are transferred; quasi-static ones are solved again next step
            schemes.solve_partners(time); // the transient field needs its partners' data on the new mesh
          }
        if (hooks.finish(accepted, failed))
          break;
        rejected = 0;
        dt       = next_dt;
      }
  }

  template class TimeLoop<2>;
  template class TimeLoop<3>;
} // namespace dendra
