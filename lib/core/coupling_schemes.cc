#include <dendra/base/exceptions.h>
#include <dendra/base/parameters.h>
#include <dendra/core/coupling_schemes.h>

#include <deal.II/lac/solver_control.h>
#include <deal.II/lac/solver_gmres.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <sstream>
#include <stdexcept>

namespace dendra
{
  using namespace dealii;

  StaggeredIteration::StaggeredIteration(const Settings &settings)
    : settings(settings)
  {}

  StaggeredIteration::Report StaggeredIteration::solve(CoupledGroup &group, const std::string &what) const
  {
    Report          report;
    LA::MPI::Vector x = group.interface_state();
    LA::MPI::Vector previous_residual(x); // of the last pass, for Aitken
    double          relaxation = settings.initial_relaxation;
    for (unsigned int pass = 1;; ++pass)
      {
        group.sweep(pass);
        report.iterations = pass;
        if (settings.max_iterations == 1)
          return report; // one lagged pass: nothing to compare
        const LA::MPI::Vector swept = group.interface_state();
        LA::MPI::Vector       residual(swept);
        residual -= x;
        if (settings.norm == Norm::max_abs)
          report.change = residual.linfty_norm();
        else
          {
            const double size = swept.l2_norm();
            report.change     = size > 0 ? residual.l2_norm() / size : 0.0;
          }
        if (pass >= settings.min_iterations && report.change <= settings.tolerance)
          return report;
        if (pass == settings.max_iterations)
          throw std::runtime_error(what + ": change " + format_number(report.change) + " after " +
                                   std::to_string(pass) + " passes > " + settings.parameter + "/Tolerance");
        if (!settings.aitken)
          {
            x = swept;
            continue;
          }
        if (pass > 1)
          {
            // Aitken: the secant of the last two residuals along their difference.
            LA::MPI::Vector difference = residual;
            difference -= previous_residual;
            const double squared = difference * difference;
            if (squared > 0)
              relaxation = -relaxation * (previous_residual * difference) / squared;
          }
        x.add(relaxation, residual);
        group.set_interface_state(x);
        previous_residual = residual;
      }
  }

  unsigned int advance_with_step_halving(IrreversibleStep &step, const double start, const double end,
                                         const unsigned int                              max_halvings,
                                         const std::function<void(const std::string &)> &log)
  {
    unsigned int halvings = 0;
    for (double reached = start, target = end; reached < end;)
      try
        {
          step.solve_to(reached, target);
          reached = target;
          target  = end;
        }
      catch (const InputError &)
        {
          throw;
        }
      catch (const std::exception &e)
        {
          if (halvings == max_halvings)
            throw std::runtime_error(
              (halvings > 0 ? "after " + std::to_string(halvings) + " halvings of the step, " : std::string()) +
              "at t = " + format_number(target) + " s: " + one_line_message(e));
          step.reset();
          ++halvings;
          target = reached + 0.5 * (target - reached);
          if (log)
            log("  retrying with a step to t = " + format_number(target) + " s: " + one_line_message(e));
        }
    return halvings;
  }

  PressureBalance::PressureBalance(const Settings &settings)
    : settings(settings)
  {}

  PressureBalance::Report PressureBalance::solve(ScalarBalance &balance, const double start, const double step,
                                                 const double scale, const double lower, const double upper,
                                                 const std::string &what, const double slope) const
  {
    Report     report;
    const auto evaluate = [&](const double p) {
      const double last_p = report.root, last_r = report.residual;
      AssertThrow(report.evaluations < settings.max_iterations,
                  ExcMessage(what + ": the balance did not converge in " + settings.parameter +
                             "/Iterations = " + std::to_string(settings.max_iterations) + " (|R| / scale = " +
                             format_number(std::abs(report.residual) / scale) + " at p = " + format_number(report.root) +
                             ")"));
      ++report.evaluations;
      report.root     = p;
      report.residual = balance.residual(p);
      if (report.evaluations > 1 && p != last_p)
        report.slope = (report.residual - last_r) / (p - last_p);
      return report.residual;
    };
    Assert(scale > 0 && step > 0, ExcMessage("PressureBalance needs a positive scale and step"));
    const auto converged = [&](const double r) { return std::abs(r) <= settings.tolerance * scale; };
    double     a = std::clamp(start, lower, upper), ra = evaluate(a);
    if (converged(ra))
      return report;
    // A Newton step with the given slope (by at most max(step, |p|), as a
    // slope from close evaluations may be noisy), or a step towards the
    // root; then secant steps (R falls with p) until the root is bracketed.
    const double limit = std::max(step, std::abs(a));
    const double first = slope < 0 ? a + std::clamp(-ra / slope, -limit, limit) : a + (ra > 0 ? step : -step);
    double       b = std::clamp(first, lower, upper), rb = evaluate(b);
    while (!converged(rb) && (ra > 0) == (rb > 0))
      {
        if (b == (rb > 0 ? upper : lower))
          {
            report.at_bound = true;
            return report;
          }
        const double slope = b != a ? (rb - ra) / (b - a) : 0.0;
        double       next  = slope < 0 ? b - rb / slope : b + (b != a ? 2 * (b - a) : (rb > 0 ? step : -step));
        if (next == b) // a secant step below round-off: widen
          next = b + (rb > 0 ? step : -step);
        next               = std::clamp(next, lower, upper);
        a                  = b;
        ra                 = rb;
        b                  = next;
        rb                 = evaluate(b);
      }
    // Illinois: regula falsi on the bracket, halving the weight of the end that stays.
    while (!converged(rb))
      {
        const double c = (a * rb - b * ra) / (rb - ra), rc = evaluate(c);
        if ((rc > 0) == (rb > 0))
          ra /= 2;
        else
          {
            a  = b;
            ra = rb;
          }
        b  = c;
        rb = rc;
      }
    return report; // the last evaluation is b
  }

  CouplingParameters::CouplingParameters()
  {
    staggered.parameter                   = "Coupling/Staggered";
    staggered.min_iterations              = 2; // the first pass starts from the last step's state
    alternate_minimisation.parameter      = "Coupling/Alternate minimisation";
    alternate_minimisation.max_iterations = 200;
    alternate_minimisation.tolerance      = 1e-3;
    alternate_minimisation.norm           = StaggeredIteration::Norm::max_abs;
  }

  namespace
  {
    /// Old homes of the Coupling entries: (subsection path, entry, new location).
    struct MovedEntry
    {
      std::vector<std::string> path;
      std::string              name, new_location;
    };
    const std::vector<MovedEntry> &moved_entries()
    {
      static const std::vector<MovedEntry> entries = {
        {{"Simulation"}, "Coupling iterations", "Coupling/Staggered/Iterations"},
        {{"Simulation"}, "Coupling tolerance", "Coupling/Staggered/Tolerance"},
        {{"Damage"}, "Staggered iterations", "Coupling/Alternate minimisation/Iterations"},
        {{"Damage"}, "Staggered tolerance", "Coupling/Alternate minimisation/Tolerance"},
        {{"Plating"}, "Region passes", "Coupling/Alternate minimisation/Region passes"}};
      return entries;
    }
  } // namespace

  namespace
  {
    /// J v by a forward difference of the residual at x (Knoll and Keyes
    /// 2004, eq. 11): e = sqrt(machine epsilon) (1 + |x|) / |v|.
    class FiniteDifferenceJacobian
    {
    public:
      FiniteDifferenceJacobian(CoupledSystem &system, const LA::MPI::BlockVector &x, const LA::MPI::BlockVector &r)
        : system(system)
        , x(x)
        , r(r)
      {}
      void vmult(LA::MPI::BlockVector &jv, const LA::MPI::BlockVector &v) const
      {
        const double v_norm = v.l2_norm();
        if (v_norm == 0)
          {
            jv = 0;
            return;
          }
        const double         e = std::sqrt(std::numeric_limits<double>::epsilon()) * (1 + x.l2_norm()) / v_norm;
        LA::MPI::BlockVector shifted(x);
        shifted.add(e, v);
        system.set_state(shifted);
        system.residual(jv);
        system.set_state(x); // the preconditioner linearises at x
        jv -= r;
        jv *= 1.0 / e;
        ++n_products;
      }
      mutable unsigned int n_products = 0;

    private:
      CoupledSystem              &system;
      const LA::MPI::BlockVector &x, &r;
    };

    /// The fields' own blocks as a deal.II preconditioner.
    class FieldBlocks
    {
    public:
      explicit FieldBlocks(CoupledSystem &system)
        : system(system)
      {}
      void vmult(LA::MPI::BlockVector &z, const LA::MPI::BlockVector &r) const { system.precondition(r, z); }

    private:
      CoupledSystem &system;
    };
  } // namespace

  MonolithicNewton::MonolithicNewton(const Settings &settings)
    : settings(settings)
  {}

  MonolithicNewton::Report MonolithicNewton::solve(CoupledSystem &system, const std::string &what) const
  {
    Report               report;
    LA::MPI::BlockVector x = system.state(), r(x), update(x), trial(x);
    system.set_state(x); // every block sees the others' data of x, derived data included
    system.residual(r);
    const double initial = r.l2_norm();
    const auto   converged = [&](const double norm) {
      return norm <= settings.absolute_tolerance || norm <= settings.tolerance * initial;
    };
    double norm = initial;
    report.residuals.push_back(norm);
    while (!converged(norm))
      {
        if (report.iterations == settings.max_iterations)
          {
            std::ostringstream message;
            message << what << ": residual " << norm << " (" << norm / initial << " of the first) after "
                    << report.iterations << " Newton updates > " << settings.parameter << "/Tolerance";
            throw std::runtime_error(message.str());
          }
        // J dx = -R at x; the products move the state, so it is set back after.
        const FiniteDifferenceJacobian jacobian(system, x, r);
        LA::MPI::BlockVector           rhs(r);
        rhs *= -1.0;
        update = 0;
        SolverControl control(settings.max_linear_iterations, settings.linear_tolerance * norm, false, false);
        // Flexible GMRES (right preconditioning, true residual): the fields'
        // block solves are themselves iterative, so the preconditioner may
        // vary slightly between iterations.
        SolverFGMRES<LA::MPI::BlockVector> solver(control, SolverFGMRES<LA::MPI::BlockVector>::AdditionalData(50));
        system.set_state(x);
        try
          {
            solver.solve(jacobian, update, rhs, FieldBlocks(system));
          }
        catch (const SolverControl::NoConvergence &)
          {
            // An inexact update is still a descent direction; the line search judges it.
          }
        report.linear_iterations += control.last_step();
        // Backtracking: halve the update until |R| decreases (at most 5 times).
        double step = 1, trial_norm = 0;
        for (unsigned int cut = 0;; ++cut, step /= 2)
          {
            trial = x;
            trial.add(step, update);
            system.set_state(trial);
            system.residual(r);
            trial_norm = r.l2_norm();
            if (trial_norm < norm || cut == 5)
              break;
          }
        x    = trial;
        norm = trial_norm;
        ++report.iterations;
        report.residuals.push_back(norm);
      }
    return report;
  }

  void CouplingParameters::declare_parameters(ParameterHandler &prm)
  {
    prm.enter_subsection("Coupling");
    prm.declare_entry("Scheme", "staggered", Patterns::Selection("staggered|monolithic"),
                      "How a transient field (deposition, transport) and the quasi-static field it exchanges "
                      "quantities with (elasticity) are solved within a time step: staggered = in turn, as a "
                      "fixed-point iteration (subsection Staggered); monolithic = one Newton system of both "
                      "fields, by Jacobian-free Newton-Krylov preconditioned by each field's own Jacobian "
                      "(subsection Monolithic; fields with a Newton block: deposition, elasticity).");
    prm.declare_entry("Fracture scheme", "alternate minimisation", Patterns::Selection("alternate minimisation"),
                      "How elasticity and damage are solved within a load step: alternate minimisation = "
                      "staggered to convergence with the tension/compression split frozen, the Li region's "
                      "passes, and step halving (subsection Alternate minimisation).");
    prm.enter_subsection("Staggered");
    prm.declare_entry("Iterations", "1", Patterns::Integer(1),
                      "Passes per time step (-). 1: the transient field uses the coupled state of the last step "
                      "(explicit); more: repeat the step with the new state until the relative change of the "
                      "interface state (the displacement) is below Tolerance, else the step is cut.");
    prm.declare_entry("Tolerance", "1e-4", Patterns::Double(0),
                      "Relative change of the interface state between passes that ends them (-).");
    prm.declare_entry("Relaxation", "none", Patterns::Selection("none|aitken"),
                      "none: each pass starts from the last one's state; aitken: from a relaxed state, with "
                      "Aitken's dynamic relaxation factor (fewer passes for strongly coupled fields).");
    prm.declare_entry("Initial relaxation", "1", Patterns::Double(0, 1),
                      "Aitken: relaxation factor of the first pass (-), in (0, 1].");
    prm.leave_subsection();
    prm.enter_subsection("Monolithic");
    prm.declare_entry("Iterations", "20", Patterns::Integer(1),
                      "Newton updates of the shared system per time step, at most (-); else the step is cut.");
    prm.declare_entry("Tolerance", "1e-8", Patterns::Double(0, 1),
                      "Reduction of the residual norm that ends the Newton updates (-); each field's rows are "
                      "divided by their Jacobian diagonal and by the largest magnitude of its unknowns at the "
                      "start of the step, so every field counts alike.");
    prm.declare_entry("Absolute tolerance", "1e-12", Patterns::Double(0),
                      "Or the scaled residual norm (-) at most this ends them (a step that starts at rest).");
    prm.declare_entry("Linear tolerance", "1e-6", Patterns::Double(0, 1),
                      "Relative residual of the GMRES solve of each Newton update (-).");
    prm.declare_entry("Linear iterations", "200", Patterns::Integer(1),
                      "GMRES iterations per Newton update, at most (-).");
    prm.leave_subsection();
    prm.enter_subsection("Pressure balance");
    prm.declare_entry("Iterations", "50", Patterns::Integer(1),
                      "Evaluations of the Li filling's volume balance (each solves the fields that the Li pressure "
                      "loads) allowed per pass (-).");
    prm.declare_entry("Tolerance", "1e-9", Patterns::Double(0, 1),
                      "|R(p)| relative to the Li volume that ends the pressure iteration (-).");
    prm.leave_subsection();
    prm.enter_subsection("Alternate minimisation");
    prm.declare_entry("Iterations", "200", Patterns::Integer(1),
                      "Elasticity-damage passes per load step, at most (-).");
    prm.declare_entry("Tolerance", "1e-3", Patterns::Double(0),
                      "Largest change of the damage d between passes that ends them (-).");
    prm.declare_entry("Step halvings", "10", Patterns::Integer(0),
                      "A load step whose passes fail is retried from the committed damage over half the "
                      "remaining increment, at most this often (-).");
    prm.declare_entry("Region passes", "0", Patterns::Integer(0),
                      "Runs with a Li deposit: 0 lets cells opened by the damage join the Li region once per "
                      "load step, after it (explicit: the region lags a step); n > 0 lets them join within "
                      "the step up to n times, each time settling the damage again for the region's new "
                      "pressure (implicit; a step whose region still grows after n passes is halved) (-).");
    prm.leave_subsection();
    prm.leave_subsection();
    for (const auto &moved : moved_entries())
      {
        for (const auto &s : moved.path)
          prm.enter_subsection(s);
        declare_moved_entry(prm, moved.name, moved.new_location);
        for (std::size_t i = 0; i < moved.path.size(); ++i)
          prm.leave_subsection();
      }
  }

  void CouplingParameters::parse_parameters(ParameterHandler &prm)
  {
    for (const auto &moved : moved_entries())
      {
        std::string where;
        for (const auto &s : moved.path)
          {
            prm.enter_subsection(s);
            where += s + "/";
          }
        check_moved_entry(prm, moved.name, where, moved.new_location);
        for (std::size_t i = 0; i < moved.path.size(); ++i)
          prm.leave_subsection();
      }
    prm.enter_subsection("Coupling");
    scheme          = prm.get("Scheme");
    fracture_scheme = prm.get("Fracture scheme");
    prm.enter_subsection("Staggered");
    staggered.max_iterations     = prm.get_integer("Iterations");
    staggered.tolerance          = prm.get_double("Tolerance");
    staggered.aitken             = prm.get("Relaxation") == "aitken";
    staggered.initial_relaxation = prm.get_double("Initial relaxation");
    prm.leave_subsection();
    prm.enter_subsection("Pressure balance");
    pressure_balance.max_iterations = prm.get_integer("Iterations");
    pressure_balance.tolerance      = prm.get_double("Tolerance");
    prm.leave_subsection();
    prm.enter_subsection("Monolithic");
    monolithic.max_iterations        = prm.get_integer("Iterations");
    monolithic.tolerance             = prm.get_double("Tolerance");
    monolithic.absolute_tolerance    = prm.get_double("Absolute tolerance");
    monolithic.linear_tolerance      = prm.get_double("Linear tolerance");
    monolithic.max_linear_iterations = prm.get_integer("Linear iterations");
    prm.leave_subsection();
    prm.enter_subsection("Alternate minimisation");
    alternate_minimisation.max_iterations = prm.get_integer("Iterations");
    alternate_minimisation.tolerance      = prm.get_double("Tolerance");
    step_halvings                         = prm.get_integer("Step halvings");
    region_passes                         = prm.get_integer("Region passes");
    prm.leave_subsection();
    prm.leave_subsection();
    require_input(staggered.initial_relaxation > 0,
                  "Coupling/Staggered/Initial relaxation = " + format_number(staggered.initial_relaxation) +
                    " must lie in (0, 1]");
  }
} // namespace dendra
