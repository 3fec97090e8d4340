#pragma once

#include <dendra/base/solvers.h>
#include <dendra/base/time_stepping.h>
#include <dendra/core/current_program.h>
#include <dendra/coupling/coupled_step.h>

#include <functional>
#include <iosfwd>
#include <string>

namespace dendra
{
  /// Where a time loop stands after a step: with the fields, what a
  /// checkpoint holds.
  struct LoopState
  {
    unsigned int step    = 0;    ///< steps done (-)
    double       time    = 0;    ///< s
    double       next_dt = 0;    ///< transient runs: the next step's size (s)
    bool         restart = true; ///< transient runs: the next step starts BDF afresh (after a jump of the current)

    /// Writes the state exactly (17 digits) for a checkpoint.
    void save(std::ostream &out) const;
    /// Reads what save() wrote.
    void load(std::istream &in);
  };

  /// An accepted step as the run records it.
  struct AcceptedStep
  {
    LoopState    state;             ///< after the step (its next_dt: the next step's size, s)
    double       dt        = 0;     ///< size of the step (s)
    bool         transient = false; ///< a time step of a transient field (else a quasi-static load step)
    SolverReport newton;            ///< transient: the iterations of the step
    unsigned int rejected = 0;      ///< transient: tries rejected before it (-)
    std::string  head;              ///< the head of its progress line ("step 3/4  t = ...")
  };

  /// The one time loop of a run, for every combination of fields (it knows
  /// none): without a transient field, quasi-static load steps t_k = k End
  /// time / Number of steps; with one, implicit time steps chosen by the
  /// TimeStepController that land on the current program's changes, restart
  /// BDF after them, and are retried smaller when a solve fails or the local
  /// error is too large; the quasi-static fields follow at every accepted
  /// time. The CoupledStep solves each step; the run records it.
  template <int dim>
  class TimeLoop
  {
  public:
    /// The loop's settings (subsections Simulation and Mesh refinement).
    struct Settings
    {
      double       end_time            = 1; ///< time of the last step (s)
      unsigned int n_steps             = 1; ///< quasi-static steps (-)
      unsigned int adaptive_cycles     = 0; ///< quasi-static: solve-and-adapt cycles per step (-)
      unsigned int adaptation_interval = 0; ///< steps between adaptations (-); 0 = none
      unsigned int redo_limit          = 0; ///< quasi-static: re-solves of a step on a finer mesh (-)
    };
    /// What the loop asks of the run.
    struct Run
    {
      std::function<void()>                    adapt_mesh;     ///< adapts the mesh and transfers the fields
      std::function<bool()>                    under_resolved; ///< true if the solution wants a finer mesh than it has
      std::function<void(const std::string &)> log;            ///< one line in the log
      /// Records an accepted step (statistics, output); returns true if the
      /// cell failed in it.
      std::function<bool(const AcceptedStep &)> record;
      /// After a recorded step (and the adaptation): progress and checkpoint;
      /// returns true if the run ends here.
      std::function<bool(const AcceptedStep &, bool failed)> finish;
    };

    /// A loop over the steps of @p schemes; @p time_stepper and @p program
    /// are used by transient runs only.
    TimeLoop(CoupledStep<dim> &schemes, const TimeStepController &time_stepper, const CurrentProgram &program,
             const Settings &settings, const Run &run);

    /// Runs from @p start (the initial state, or a checkpoint's) to the end
    /// time or the step the run ends in.
    void run(const LoopState &start);

  private:
    /// Quasi-static steps from @p first_step on (later than 1 when resumed).
    void run_quasi_static(unsigned int first_step);
    /// Implicit time steps from @p start.
    void run_transient(const LoopState &start);

    CoupledStep<dim>         &schemes;
    const TimeStepController &time_stepper;
    const CurrentProgram     &program;
    Settings                  settings;
    Run                       hooks;
  };
} // namespace dendra
